"""Chef cookbooks: metadata, attribute files, recipes, ChefSpec and InSpec tests.

Every file is Ruby that ``ruby -c`` accepts. Secrets come from data bags, chef-vault, the environment or node
attributes; attribute files hold ``default['x']['y'] = ...`` values.
"""

from __future__ import annotations

from random import Random

from iacsieve.data.sample.doc import COMMENT, CRYPTO, HTTP, SECRET, Doc, SourceFile, assemble, intent, render
from iacsieve.data.sample.plan import (
    Catalog,
    Ctx,
    Picker,
    body_blocks,
    comment_text,
    defined_keys,
    file_length,
    unique_name,
)
from iacsieve.data.sample.vocab import (
    APPS,
    CONFIG_SETTINGS,
    DOC_LINK_NOTES,
    EXTERNAL_HOSTS,
    GENERIC_TODOS,
    HOST_VARS,
    HTTPS_HOSTS,
    IN_WORD_NOTES,
    LOGINS,
    MIRROR_EXTERNAL,
    MIRROR_LOCAL,
    OVERRIDE_NOTES,
    PASSWORD_VARS,
    PLAIN_NOTES,
    PLAIN_SECRET_NOTES,
    PROJECT_PREFIXES,
    SYSCTL_SETTINGS,
    TOKEN_VARS,
    TOOL_PACKAGES,
    VERSIONS,
    fill_words,
    random_hex,
    random_password,
    random_token,
)

PLACEHOLDER_VALUES: tuple[str, ...] = ("'changeme'", "'CHANGEME'", "'change_me'", "'<password>'", "'REPLACE_ME'")


def literal_secret(rng: Random, name: str) -> str:
    """A single-quoted hard-coded value fitting the name."""
    lowered = name.lower()
    if any(word in lowered for word in ("token", "secret", "key")) and "pass" not in lowered:
        return f"'{random_token(rng)}'"
    return f"'{random_password(rng)}'"


def stored_secret(ctx: Ctx, field: str) -> str:
    """A secret read from a data bag, chef-vault or the environment."""
    app = ctx.app.name
    return ctx.rng.choice(
        (
            f"data_bag_item('{app}', 'credentials')['{field}']",
            f"data_bag_item('passwords', '{app}')['{field}']",
            f"chef_vault_item('secrets', '{app}')['{field}']",
            f"ChefVault::Item.load('{app}', 'secrets')['{field}']",
            f"Chef::EncryptedDataBagItem.load('{app}', 'secrets')['{field}']",
            f"ENV['{field.upper()}']",
        )
    )


def secret_assignment(ctx: Ctx, target: str, field: str, want: bool, notes: bool, attribute: bool = False) -> Doc:
    """``target = value``: a literal (TP), or a stored/absent value (FP); with ``notes`` also placeholders."""
    rng = ctx.rng
    doc = Doc()
    if want:
        if notes and rng.random() < 0.2:
            if rng.random() < 0.5:
                doc.add("# " + rng.choice(PLAIN_SECRET_NOTES))
            doc.add(f"{target} = {rng.choice(PLACEHOLDER_VALUES)}", intent(SECRET, True))
        else:
            doc.add(f"{target} = {literal_secret(rng, field)}", intent(SECRET, True))
        return doc
    if notes and rng.random() < 0.25:
        doc.add("# " + rng.choice(OVERRIDE_NOTES))
        doc.add(f"{target} = {rng.choice(PLACEHOLDER_VALUES)}", intent(SECRET, False))
    elif attribute:
        doc.add(f"{target} = {rng.choice(('nil', 'nil', f'ENV[{field.upper()!r}]'))}", intent(SECRET, False))
    else:
        doc.add(f"{target} = {stored_secret(ctx, field)}", intent(SECRET, False))
    return doc


def add_far(ctx: Ctx, doc: Doc) -> None:
    """Queue attribute definitions for ``attributes/default.rb``."""
    if ctx.far.lines:
        ctx.far.add("")
    ctx.far.extend(doc)


def attr(ctx: Ctx, key: str) -> str:
    """``node['app']['key']``."""
    return f"node['{ctx.namespace}']['{key}']"


# -- secret scenarios (recipes) ----------------------------------------------------------------------------


def db_user_local(ctx: Ctx, want: bool) -> Doc:
    """A database user whose password comes from a local variable assigned just above."""
    rng = ctx.rng
    var = ctx.local_var(PASSWORD_VARS)
    user = rng.choice(("app", ctx.app.name, "appuser", "reporting"))
    doc = secret_assignment(ctx, var, var, want, notes=False)
    resource = rng.choice(("mysql_database_user", "postgresql_user"))
    if resource == "mysql_database_user":
        doc.extend(
            render(
                f"""
                mysql_database_user '{user}' do  ⟨u⟩
                  connection mysql_connection_info
                  password {var}  ⟨p⟩
                  database_name '{ctx.app.name}'
                  privileges [:all]
                  action [:create, :grant]
                end
                """,
                {"u": intent(SECRET, want), "p": intent(SECRET, want)},
            )
        )
    else:
        doc.extend(
            render(
                f"""
                postgresql_user '{user}' do  ⟨u⟩
                  password {var}  ⟨p⟩
                  createdb false
                  action :create
                end
                """,
                {"u": intent(SECRET, want), "p": intent(SECRET, want)},
            )
        )
    return doc


def connection_info_far(ctx: Ctx, want: bool) -> Doc:
    """A connection hash whose password is a node attribute set in the attribute file."""
    rng = ctx.rng
    key = ctx.pick_var(("server_root_password", "db_password", "admin_password", "root_password"), far=True, lines=3)
    if key is None:
        return db_user_local(ctx, want)
    add_far(ctx, secret_assignment(ctx, f"default['{ctx.namespace}']['{key}']", key, want, notes=True, attribute=True))
    login = rng.choice(("root", "admin", "postgres"))
    return render(
        f"""
        db_connection = {{
          host: '127.0.0.1',
          username: '{login}',  ⟨u⟩
          password: {attr(ctx, key)},  ⟨p⟩
        }}
        """,
        {"u": intent(SECRET, want), "p": intent(SECRET, want)},
    )


def template_with_password(ctx: Ctx, want: bool) -> Doc:
    """A config template fed a password: attribute (resolved in the attribute file) or data bag."""
    rng = ctx.rng
    app = ctx.app
    key = ctx.pick_var(("db_password", "smtp_password", "ldap_bind_password"), far=True, lines=3)
    if key is None:
        return db_user_local(ctx, want)
    add_far(ctx, secret_assignment(ctx, f"default['{ctx.namespace}']['{key}']", key, want, notes=True, attribute=True))
    return render(
        f"""
        template '/etc/{app.name}/database.yml' do
          source 'database.yml.erb'
          owner '{app.account}'
          mode '0640'
          variables(
            username: '{rng.choice(("app", app.name, "appuser"))}',  ⟨u⟩
            password: {attr(ctx, key)},  ⟨p⟩
            host: {attr(ctx, "db_host")}
          )
          sensitive true
        end
        """,
        {"u": intent(SECRET, want), "p": intent(SECRET, want)},
    )


def account(ctx: Ctx, want: bool) -> Doc:
    """A ``user`` resource: a service account (FP) or an admin with a literal or stored password."""
    rng = ctx.rng
    if not want and rng.random() < 0.5:
        name = ctx.app.account if rng.random() < 0.6 else rng.choice(("jenkins", "mysql", "deploy"))
        return render(
            f"""
            user '{name}' do  ⟨u⟩
              comment '{ctx.app.title} service account'
              system true
              shell '/bin/false'
              home '/var/lib/{name}'
            end
            """,
            {"u": intent(SECRET, False)},
        )
    login = rng.choice(("admin", "ops", "support", "deploy"))
    if want and rng.random() < 0.5:
        salt = random_hex(rng, 8)
        return render(
            f"""
            user '{login}' do  ⟨u⟩
              comment 'Administrator'
              shell '/bin/bash'
              password '$6${salt}${random_hex(rng, 43)}'  ⟨p⟩
              manage_home true
            end
            """,
            {"u": intent(SECRET, True), "p": intent(SECRET, True)},
        )
    var = ctx.local_var(("admin_password", f"{login}_password", "ops_password"))
    doc = secret_assignment(ctx, var, var, want, notes=False)
    return doc.extend(
        render(
            f"""
            user '{login}' do  ⟨u⟩
              shell '/bin/bash'
              password {var}  ⟨p⟩
              manage_home true
            end
            """,
            {"u": intent(SECRET, want), "p": intent(SECRET, want)},
        )
    )


def run_as(ctx: Ctx, want: bool) -> Doc:
    """An ``execute`` run as the service account: flagged user, FP."""
    app = ctx.app
    return render(
        f"""
        execute '{app.name}-migrate' do
          command '/opt/{app.name}/bin/migrate --yes'
          user '{app.account}'  ⟨u⟩
          cwd '/opt/{app.name}'
          action :run
        end
        """,
        {"u": intent(SECRET, False)},
    )


def api_token_local(ctx: Ctx, want: bool) -> Doc:
    """An API token assigned to a local, then written to a config file."""
    var = ctx.local_var(TOKEN_VARS)
    doc = secret_assignment(ctx, var, var, want, notes=False)
    return doc.extend(
        render(
            f"""
            file '/etc/{ctx.app.name}/agent.token' do
              content {var}
              owner '{ctx.app.account}'
              mode '0600'
              sensitive true
            end
            """,
        )
    )


# -- secret scenarios (attributes) ---------------------------------------------------------------------------


def attr_credentials(ctx: Ctx, want: bool) -> Doc:
    """An admin login and password in the attribute file."""
    rng = ctx.rng
    app = ctx.app.name
    key = rng.choice(("admin_password", "root_password", "password"))
    if f"attr:{key}" in ctx.file_vars:
        key = f"{app}_{key}"
    ctx.file_vars.add(f"attr:{key}")
    doc = Doc().add(f"# {ctx.app.title} administrator")
    doc.add(f"default['{ctx.namespace}']['admin_user'] = '{rng.choice(LOGINS)}'", intent(SECRET, want))
    return doc.extend(
        secret_assignment(ctx, f"default['{ctx.namespace}']['{key}']", key, want, notes=True, attribute=True)
    )


def attr_not_a_secret(ctx: Ctx, want: bool) -> Doc:
    """An attribute whose name only contains a keyword."""
    rng = ctx.rng
    app = ctx.app.name
    options = (
        f"default['mysql']['key_buffer_size'] = '{rng.choice(('128M', '256M'))}'",
        f"default['{ctx.namespace}']['ssl_key'] = '/etc/ssl/private/{app}.key'",
        f"default['{ctx.namespace}']['ssl_cert'] = '/etc/ssl/certs/{app}.pem'",
        f"default['passenger']['max_pool_size'] = '{rng.choice((4, 6, 8))}'",
        f"default['{ctx.namespace}']['token_ttl'] = '{rng.choice(('1h', '30m'))}'",
        f"default['{ctx.namespace}']['api_token'] = nil",
        f"default['{ctx.namespace}']['secret_key_file'] = '/etc/{app}/secret.key'",
        "default['apt']['keyserver'] = 'keyserver.ubuntu.com'",
        f"default['{ctx.namespace}']['user_shell'] = '/bin/bash'",
    )
    return Doc().add(rng.choice(options), intent(SECRET, False))


# -- comments ------------------------------------------------------------------------------------------------


def security_resource(ctx: Ctx) -> Doc:
    """A resource a reviewer reads as security-relevant."""
    rng = ctx.rng
    app = ctx.app.name
    options = (
        f"""
        execute 'install {app}' do
          command 'curl -k -sSL https://{rng.choice(HTTPS_HOSTS)}/{app}/install.sh | bash'
          creates '/usr/local/bin/{app}'
        end
        """,
        """
        file '/etc/sudoers.d/deploy' do
          content "deploy ALL=(ALL) NOPASSWD: ALL\\n"
          mode '0440'
        end
        """,
        f"""
        directory '/srv/{app}/uploads' do
          owner 'root'
          mode '0777'
          recursive true
        end
        """,
        """
        execute 'selinux permissive' do
          command 'setenforce 0'
          not_if 'getenforce | grep -q Permissive'
        end
        """,
        """
        service 'ufw' do
          action [:stop, :disable]
        end
        """,
        f"""
        apt_repository '{app}' do
          uri 'https://{rng.choice(HTTPS_HOSTS)}/{app}/apt'
          key 'https://{rng.choice(HTTPS_HOSTS)}/{app}/repo.gpg'
          components ['main']
        end
        """,
    )
    return render(rng.choice(options))


def cosmetic_resource(ctx: Ctx) -> Doc:
    """A resource with nothing security-relevant in it."""
    rng = ctx.rng
    app = ctx.app
    options = (
        """
        package %w(htop jq unzip) do
          action :install
        end
        """,
        """
        template '/etc/motd' do
          source 'motd.erb'
          mode '0644'
        end
        """,
        f"""
        service '{app.service}' do
          action [:enable, :start]
        end
        """,
        f"""
        directory '/var/log/{app.name}' do
          owner '{app.account}'
          mode '0755'
          recursive true
        end
        """,
    )
    return render(rng.choice(options))


def comment_before_resource(ctx: Ctx, want: bool) -> Doc:
    """A suspicious comment above the resource it is about."""
    text, security = comment_text(ctx, want)
    if security is None:
        security = ctx.rng.random() < 0.4
    resource = security_resource(ctx) if security else cosmetic_resource(ctx)
    return Doc().add(f"# {text}", intent(COMMENT, want)).extend(resource)


def trailing_comment(ctx: Ctx, want: bool) -> Doc:
    """A generic note at the end of a security-relevant line (TP) or an ordinary one (FP)."""
    rng = ctx.rng
    note = rng.choice(GENERIC_TODOS[:8])
    app = ctx.app
    if want:
        line = rng.choice(("mode '0777'", "ssl_verify_mode :verify_none"))
        if line.startswith("ssl"):
            return render(
                f"""
                http_request 'register {app.name}' do
                  url 'https://{rng.choice(HTTPS_HOSTS)}/api/register'
                  action :post
                end

                Chef::Config[:ssl_verify_mode] = :verify_none # {note}  ⟨c⟩
                """,
                {"c": intent(COMMENT, True)},
            )
        return render(
            f"""
            file '/etc/{app.name}/credentials' do
              content 'managed'
              {line} # {note}  ⟨c⟩
            end
            """,
            {"c": intent(COMMENT, True)},
        )
    line = rng.choice(("action :install", "action [:enable, :start]", "retries 3"))
    resource = f"package '{app.package}'" if line == "action :install" else f"service '{app.service}'"
    return render(
        f"""
        {resource} do
          {line} # {note}  ⟨c⟩
        end
        """,
        {"c": intent(COMMENT, False)},
    )


def attr_comment(ctx: Ctx, want: bool) -> Doc:
    """A suspicious comment above an attribute."""
    rng = ctx.rng
    app = ctx.app.name
    text, security = comment_text(ctx, want)
    if security is None:
        security = rng.random() < 0.4
    if security:
        line = rng.choice(
            (
                f"default['{ctx.namespace}']['ssl_verify'] = false",
                f"default['{ctx.namespace}']['bind_address'] = '0.0.0.0'",
                f"default['{ctx.namespace}']['tls_enabled'] = false",
                f"default['{ctx.namespace}']['data_mode'] = '0777'",
            )
        )
    else:
        line = rng.choice(
            (
                f"default['{ctx.namespace}']['log_level'] = 'info'",
                f"default['{ctx.namespace}']['max_connections'] = 512",
                f"default['{ctx.namespace}']['version'] = '{rng.choice(VERSIONS)}'",
                f"default['{ctx.namespace}']['data_dir'] = '/var/lib/{app}'",
            )
        )
    return Doc().add(f"# {text}", intent(COMMENT, want)).add(line)


# -- HTTP ---------------------------------------------------------------------------------------------------


def remote_file_literal(ctx: Ctx, want: bool) -> Doc:
    """A download from another host over HTTP (TP) or a call to a local endpoint (FP)."""
    rng = ctx.rng
    app = ctx.app
    version = rng.choice(VERSIONS)
    if want:
        doc = render(
            f"""
            remote_file "#{{Chef::Config[:file_cache_path]}}/{app.name}-{version}.tar.gz" do
              source 'http://{rng.choice(EXTERNAL_HOSTS)}/{app.name}/{app.name}-{version}.tar.gz'  ⟨h⟩
              mode '0644'
              action :create
            end
            """,
            {"h": intent(HTTP, True)},
        )
        if rng.random() < 0.5:
            doc.lines.insert(2, f"  checksum '{random_hex(rng, 64)}'")
        return doc
    return render(
        f"""
        http_request 'reload {app.name}' do
          url 'http://{rng.choice(("localhost", "127.0.0.1"))}:{app.port}/-/reload'  ⟨h⟩
          action :post
          retries 3
        end
        """,
        {"h": intent(HTTP, False)},
    )


def remote_file_templated_host(ctx: Ctx, want: bool) -> Doc:
    """The same download line; the mirror variable above it is an external host (TP) or a local cache (FP)."""
    rng = ctx.rng
    app = ctx.app.name
    var = ctx.local_var(HOST_VARS)
    host = rng.choice(MIRROR_EXTERNAL if want else MIRROR_LOCAL)
    path = "dist/#{archive_name}" if rng.random() < 0.5 else f"{app}/{app}.tar.gz"
    return render(
        f"""
        {var} = '{host}'
        remote_file '/tmp/{app}.tar.gz' do
          source "http://#{{{var}}}/{path}"  ⟨h⟩
          mode '0644'
        end
        """,
        {"h": intent(HTTP, want)},
    )


def health_check_host(ctx: Ctx, want: bool) -> Doc:
    """The same health-check URL; the host assigned above is this machine (FP) or another one (TP)."""
    rng = ctx.rng
    host = rng.choice(("api.example.com", "10.0.4.21", "app01.example.net") if want else ("localhost", "127.0.0.1"))
    return render(
        f"""
        service_host = '{host}'
        http_request 'check {ctx.app.name}' do
          url "http://#{{service_host}}/health"  ⟨h⟩
          action :get
        end
        """,
        {"h": intent(HTTP, want)},
    )


def remote_file_far_host(ctx: Ctx, want: bool) -> Doc:
    """A download whose mirror host is an attribute set in the attribute file."""
    rng = ctx.rng
    app = ctx.app.name
    key = ctx.pick_var(("mirror", "repo_host", "artifact_host"), far=True, lines=2)
    if key is None:
        return remote_file_templated_host(ctx, want)
    add_far(
        ctx,
        Doc().add(f"default['{ctx.namespace}']['{key}'] = '{rng.choice(MIRROR_EXTERNAL if want else MIRROR_LOCAL)}'"),
    )
    return render(
        f"""
        remote_file "#{{Chef::Config[:file_cache_path]}}/{app}.tar.gz" do
          source "http://#{{node['{ctx.namespace}']['{key}']}}/dist/#{{archive_name}}"  ⟨h⟩
          action :create
        end
        """,
        {"h": intent(HTTP, want)},
    )


def package_repository(ctx: Ctx, want: bool) -> Doc:
    """An apt/yum repository or an install script fetched over HTTP: TP."""
    rng = ctx.rng
    app = ctx.app.name
    host = rng.choice(EXTERNAL_HOSTS)
    options = (
        f"""
        apt_repository '{app}' do
          uri 'http://{host}/{app}/debian'  ⟨h⟩
          components ['main']
          distribution 'stable'
        end
        """,
        f"""
        yum_repository '{app}' do
          description '{ctx.app.title} packages'
          baseurl 'http://{host}/{app}/el/$releasever/$basearch/'  ⟨h⟩
          gpgcheck true
        end
        """,
        f"""
        execute 'install {app}' do
          command 'curl -sSL http://{host}/{app}/install.sh | bash'  ⟨h⟩
          creates '/usr/local/bin/{app}'
        end
        """,
    )
    return render(rng.choice(options), {"h": intent(HTTP, True)})


def http_not_a_transfer(ctx: Ctx, want: bool) -> Doc:
    """A doc link in a comment, or a www document root: FP."""
    rng = ctx.rng
    app = ctx.app
    if rng.random() < 0.6:
        note = fill_words(rng.choice(DOC_LINK_NOTES), rng, app, ctx.org)
        return Doc().add(f"# {note}", intent(HTTP, False)).extend(cosmetic_resource(ctx))
    return render(
        f"""
        directory '/var/www/{app.name}' do  ⟨h⟩
          owner 'www-data'
          mode '0755'
        end
        """,
        {"h": intent(HTTP, False)},
    )


def attr_url(ctx: Ctx, want: bool) -> Doc:
    """URL attributes: a download URL over HTTP (TP), a local endpoint or www docroot (FP)."""
    rng = ctx.rng
    app = ctx.app
    if rng.random() < 0.5:
        host = rng.choice(MIRROR_EXTERNAL[:3] if want else ("localhost", "127.0.0.1"))
        ns = ctx.namespace
        url = f"http://#{{node['{ns}']['host']}}:#{{node['{ns}']['port']}}"
        return render(
            f"""
            default['{ns}']['host'] = '{host}'
            default['{ns}']['port'] = {app.port}
            default['{ns}']['base_url'] = "{url}"  ⟨h⟩
            """,
            {"h": intent(HTTP, want)},
        )
    if want:
        line = (
            f"default['{ctx.namespace}']['download_url'] = "
            f"'http://{rng.choice(EXTERNAL_HOSTS)}/{app.name}/{app.name}-{rng.choice(VERSIONS)}.tar.gz'"
        )
    else:
        line = rng.choice(
            (
                f"default['{ctx.namespace}']['metrics_url'] = 'http://localhost:{app.port}/metrics'",
                f"default['{ctx.namespace}']['docroot'] = '/var/www/{app.name}'",
            )
        )
    return Doc().add(line, intent(HTTP, want))


# -- weak crypto -----------------------------------------------------------------------------------------------


def checksum_check(ctx: Ctx, want: bool) -> Doc:
    """MD5/SHA1 used to verify a downloaded file: FP."""
    rng = ctx.rng
    app = ctx.app.name
    tool, digest = rng.choice((("md5sum", random_hex(rng, 32)), ("sha1sum", random_hex(rng, 40))))
    return render(
        f"""
        execute 'verify {app} archive' do
          command "echo '{digest}  /tmp/{app}.tar.gz' | {tool} -c -"  ⟨c⟩
          action :run
        end
        """,
        {"c": intent(CRYPTO, False)},
    )


def digest_local(ctx: Ctx, want: bool) -> Doc:
    """The same hashing line; the comment above says what it is for."""
    rng = ctx.rng
    purpose = rng.choice(
        ("Signature for the API login", "Hash the admin password for the htpasswd file", "Token for signing requests")
        if want
        else (
            "Short build id for the release directory",
            "Cache key of the rendered config",
            "Compare the uploaded files",
        )
    )
    source = rng.choice(("node['fqdn']", f"node['{ctx.namespace}']['release']", "node['hostname']"))
    algo = rng.choice(("MD5", "SHA1"))
    return render(
        f"""
        # {purpose}
        digest = Digest::{algo}.hexdigest({source})  ⟨c⟩
        """,
        {"c": intent(CRYPTO, want)},
    )


def cipher_attribute(ctx: Ctx, want: bool) -> Doc:
    """TLS/SSH algorithm attributes: weak ones enabled (TP) or excluded (FP)."""
    rng = ctx.rng
    if want:
        line = rng.choice(
            (
                f"default['{ctx.namespace}']['ssl_ciphers'] = 'RC4-SHA:DES-CBC3-SHA:HIGH'",
                "default['ssh']['macs'] = 'hmac-sha1,hmac-sha2-256'",
                "default['ssh']['kex'] = 'diffie-hellman-group14-sha1'",
            )
        )
    else:
        line = rng.choice(
            (
                f"default['{ctx.namespace}']['ssl_ciphers'] = 'HIGH:!aNULL:!MD5'",
                "default['nginx']['ssl_ciphers'] = 'EECDH+AESGCM:!MD5:!RC4'",
            )
        )
    return Doc().add(line, intent(CRYPTO, want))


def pg_hba(ctx: Ctx, want: bool) -> Doc:
    """PostgreSQL MD5 password authentication: TP."""
    app = ctx.app.name
    return render(
        f"""
        default['postgresql']['pg_hba'] = [
          {{ type: 'local', db: 'all', user: 'postgres', addr: nil, method: 'peer' }},
          {{ type: 'host', db: '{app}', user: '{app}', addr: '10.0.0.0/8', method: 'md5' }},  ⟨c⟩
        ]
        """,
        {"c": intent(CRYPTO, True)},
    )


def attr_hash_algorithm(ctx: Ctx, want: bool) -> Doc:
    """A hash-algorithm attribute; the comment above says what it is used for."""
    rng = ctx.rng
    purpose = rng.choice(
        ("Algorithm used to hash user passwords", "Digest for signing session cookies", "Hash for the login tokens")
        if want
        else (
            "Used for cache keys of rendered pages",
            "Digest for ETags of static files",
            "Algorithm for artifact checksums",
        )
    )
    key = rng.choice(("hash_algorithm", "digest", "hash_type"))
    return render(
        f"""
        # {purpose}
        default['{ctx.namespace}']['{key}'] = '{rng.choice(("md5", "sha1"))}'  ⟨c⟩
        """,
        {"c": intent(CRYPTO, want)},
    )


# -- filler --------------------------------------------------------------------------------------------------


def filler_resource(ctx: Ctx, room: int) -> Doc | None:
    """An ordinary resource."""
    rng = ctx.rng
    app = ctx.app
    tools = " ".join(rng.sample(TOOL_PACKAGES, rng.randint(2, 4)))
    sysctl_name, sysctl_value = rng.choice(SYSCTL_SETTINGS)
    setting, setting_value = rng.choice(CONFIG_SETTINGS)
    options = [
        f"""
        package '{app.package}' do
          action :install
        end
        """,
        f"""
        package %w({tools}) do
          action :install
        end
        """,
        f"""
        sysctl '{sysctl_name}' do
          value '{sysctl_value}'
        end
        """,
        f"""
        replace_or_add '{app.name} {setting}' do
          path '{app.config}'
          pattern '^{setting}'
          line '{setting} = {setting_value}'
        end
        """,
        f"""
        template '/etc/default/{app.name}' do
          source '{app.name}.default.erb'
          mode '0644'
          notifies :restart, 'service[{app.service}]'
        end
        """,
        f"""
        tar_extract '/tmp/{app.name}-plugins.tar.gz' do
          target_dir '/opt/{app.name}/plugins'
          creates '/opt/{app.name}/plugins/.unpacked'
          action :extract_local
        end
        """,
        f"""
        template '{app.config}' do
          source '{app.config.rsplit("/", 1)[-1]}.erb'
          owner 'root'
          group 'root'
          mode '0644'
          variables(port: node['{ctx.namespace}']['port'])
          notifies :restart, 'service[{app.service}]', :delayed
        end
        """,
        f"""
        service '{app.service}' do
          supports status: true, restart: true
          action [:enable, :start]
        end
        """,
        f"""
        %w(/var/lib/{app.name} /var/log/{app.name} /etc/{app.name}/conf.d).each do |dir|
          directory dir do
            owner '{app.account}'
            group '{app.account}'
            mode '0750'
            recursive true
          end
        end
        """,
        f"""
        include_recipe '{rng.choice(("apt", "yum", "java", "build-essential"))}'
        """,
        """
        if platform_family?('rhel')
          package 'epel-release'
        else
          apt_update 'update' do
            action :periodic
          end
        end
        """,
        f"""
        cookbook_file '/etc/logrotate.d/{app.name}' do
          source 'logrotate'
          mode '0644'
        end
        """,
        f"""
        cron '{app.name}-cleanup' do
          minute '30'
          hour '3'
          command 'find /var/lib/{app.name}/tmp -mtime +7 -delete'
        end
        """,
        """
        sysctl 'vm.swappiness' do
          value 1
        end
        """,
        f"""
        log 'Installed {app.name}' do
          level :info
        end
        """,
        f"""
        link '/usr/local/bin/{app.name}' do
          to '/opt/{app.name}/bin/{app.name}'
        end
        """,
        """
        execute 'systemctl daemon-reload' do
          action :nothing
        end
        """,
    ]
    doc = render(rng.choice(options))
    if rng.random() < 0.3:
        note = rng.choice(PLAIN_NOTES) if rng.random() < 0.85 else rng.choice(IN_WORD_NOTES)
        doc = Doc().add(f"# {note}").extend(doc)
    return doc if len(doc) <= room else None


def filler_attribute(ctx: Ctx, room: int) -> Doc | None:
    """Ordinary attributes."""
    rng = ctx.rng
    app = ctx.app
    options = [
        [f"default['{ctx.namespace}']['version'] = '{rng.choice(VERSIONS)}'"],
        [f"default['{ctx.namespace}']['port'] = {app.port}"],
        [
            f"default['{ctx.namespace}']['config_dir'] = '/etc/{app.name}'",
            f"default['{ctx.namespace}']['data_dir'] = '/var/lib/{app.name}'",
        ],
        [f"default['{ctx.namespace}']['log_level'] = '{rng.choice(('info', 'warn', 'debug'))}'"],
        [f"default['{ctx.namespace}']['packages'] = %w({app.package} curl ca-certificates)"],
        [f"default['{ctx.namespace}']['listen_address'] = '{rng.choice(('0.0.0.0', '127.0.0.1'))}'"],
        [f"default['{ctx.namespace}']['max_connections'] = {rng.choice((256, 512, 1024))}"],
        [f"default['{ctx.namespace}']['group'] = '{app.account}'"],
        [f"default['{ctx.namespace}']['user'] = '{app.account}'"]
        if rng.random() < 0.3
        else [f"default['{ctx.namespace}']['timeout'] = 60"],
        [f"default['{ctx.namespace}']['java_opts'] = '-Xms512m -Xmx{rng.choice((1024, 2048))}m'"],
        [f"default['{ctx.namespace}']['db_host'] = '{rng.choice(('localhost', 'db.example.com', '10.0.3.7'))}'"],
        [
            "case node['platform_family']",
            "when 'rhel'",
            f"  default['{ctx.namespace}']['service'] = '{app.service}'",
            "else",
            f"  default['{ctx.namespace}']['service'] = '{app.service}'",
            "end",
        ],
    ]
    doc = Doc().add_lines(rng.choice(options))
    if rng.random() < 0.3:
        doc = Doc().add(f"# {rng.choice(PLAIN_NOTES)}").extend(doc)
    return doc if len(doc) <= room else None


def pad_line(rng: Random) -> str:
    """A padding line between Ruby blocks."""
    return "" if rng.random() < 0.7 else "# " + rng.choice(PLAIN_NOTES)


CATALOG = Catalog()
CATALOG.add("recipe", SECRET, 4.0, db_user_local)
CATALOG.add("recipe", SECRET, 2.5, connection_info_far)
CATALOG.add("recipe", SECRET, 2.0, template_with_password)
CATALOG.add("recipe", SECRET, 1.5, account)
CATALOG.add("recipe", SECRET, 1.0, run_as, "fp")
CATALOG.add("recipe", SECRET, 1.5, api_token_local)
CATALOG.add("recipe", COMMENT, 3.0, comment_before_resource)
CATALOG.add("recipe", COMMENT, 1.5, trailing_comment)
CATALOG.add("recipe", HTTP, 2.0, remote_file_literal)
CATALOG.add("recipe", HTTP, 3.0, remote_file_templated_host)
CATALOG.add("recipe", HTTP, 2.0, health_check_host)
CATALOG.add("recipe", HTTP, 2.0, remote_file_far_host)
CATALOG.add("recipe", HTTP, 1.5, package_repository, "tp")
CATALOG.add("recipe", HTTP, 1.5, http_not_a_transfer, "fp")
CATALOG.add("recipe", CRYPTO, 2.0, checksum_check, "fp")
CATALOG.add("recipe", CRYPTO, 3.0, digest_local)
CATALOG.add("attributes", SECRET, 3.0, attr_credentials)
CATALOG.add("attributes", SECRET, 2.5, attr_not_a_secret, "fp")
CATALOG.add("attributes", COMMENT, 2.0, attr_comment)
CATALOG.add("attributes", HTTP, 2.0, attr_url)
CATALOG.add("attributes", CRYPTO, 2.0, cipher_attribute)
CATALOG.add("attributes", CRYPTO, 1.0, pg_hba, "tp")
CATALOG.add("attributes", CRYPTO, 2.5, attr_hash_algorithm)


# -- files and cookbooks -------------------------------------------------------------------------------------


def _body(ctx: Ctx, picker: Picker, placement: str, budget: int, density: float) -> list[Doc]:
    """Blocks for a recipe or an attribute file (attribute keys must be unique)."""
    filler = filler_resource if placement == "recipe" else filler_attribute
    return body_blocks(ctx, picker, CATALOG, "chef", placement, budget, density, filler, placement == "attributes")


def header(cookbook: str, kind: str, name: str, org: str) -> Doc:
    """The comment header ``chef generate`` writes."""
    return render(
        f"""
        #
        # Cookbook:: {cookbook}
        # {kind}:: {name}
        #
        # Copyright:: 2021, {org}, All Rights Reserved.
        """
    ).add("")


def recipe_file(ctx: Ctx, picker: Picker, cookbook: str, recipe: str, target: int, density: float) -> SourceFile:
    """``recipes/<recipe>.rb``."""
    ctx.new_file()
    head = header(cookbook, "Recipe", recipe, ctx.org)
    blocks = _body(ctx, picker, "recipe", target - len(head), density)
    doc = assemble(ctx.rng, head, blocks, Doc(), target, pad_line)
    return SourceFile(f"chef/{cookbook}/recipes/{recipe}.rb", doc.lines, doc.expect)


def attributes_file(ctx: Ctx, picker: Picker, cookbook: str, target: int, density: float) -> SourceFile:
    """``attributes/default.rb``; the attribute definitions recipes refer to go first."""
    ctx.new_file()
    head = header(cookbook, "Attributes", "default", ctx.org)
    far = ctx.far
    ctx.far = Doc()
    ctx.file_keys |= defined_keys("chef", far)
    blocks = [far] if far.lines else []
    budget = target - len(head) - (len(far) + 1 if far.lines else 0)
    blocks += _body(ctx, picker, "attributes", budget, density)
    doc = assemble(ctx.rng, head, blocks, Doc(), target, pad_line)
    return SourceFile(f"chef/{cookbook}/attributes/default.rb", doc.lines, doc.expect)


def metadata_file(ctx: Ctx, cookbook: str, min_lines: int) -> SourceFile:
    """``metadata.rb``; its source URL is sometimes plain HTTP (an informational link, FP)."""
    rng = ctx.rng
    scheme = "http" if rng.random() < 0.3 else "https"
    doc = render(
        f"""
        name '{cookbook}'
        maintainer '{ctx.org} ops'
        maintainer_email 'ops@{ctx.org}.example.com'
        license 'Apache-2.0'
        description 'Installs and configures {ctx.app.name}'
        version '{rng.choice(VERSIONS)}'
        chef_version '>= 16.0'
        """
    )
    doc.add(
        f"source_url '{scheme}://github.com/{ctx.org}/{cookbook}'", intent(HTTP, False) if scheme == "http" else None
    )
    doc.add(f"issues_url 'https://github.com/{ctx.org}/{cookbook}/issues'")
    for platform in rng.sample(("ubuntu", "debian", "centos", "redhat", "amazon"), 3):
        doc.add(f"supports '{platform}'")
    for dependency in rng.sample(("apt", "yum", "java", "mysql", "postgresql", "chef-vault", "line"), 2):
        doc.add(f"depends '{dependency}'")
    doc = assemble(rng, doc, [], Doc(), min_lines, lambda r: "")
    return SourceFile(f"chef/{cookbook}/metadata.rb", doc.lines, doc.expect)


def spec_file(ctx: Ctx, picker: Picker, cookbook: str, min_lines: int) -> SourceFile:
    """A ChefSpec test whose fixture sets a literal password on the node: still TP."""
    rng = ctx.rng
    doc = render(
        f"""
        require 'chefspec'

        describe '{cookbook}::default' do
          let(:chef_run) do
            ChefSpec::SoloRunner.new(platform: 'ubuntu', version: '22.04') do |node|
              node.normal['{ctx.app.name}']['admin_password'] = '{random_password(rng)}'  ⟨p⟩
            end.converge(described_recipe)
          end

          it 'installs the package' do
            expect(chef_run).to install_package('{ctx.app.package}')
          end
        end
        """,
        {"p": intent(SECRET, True)},
    )
    picker.note(doc)
    doc = assemble(rng, doc, [], Doc(), min_lines, lambda r: "")
    return SourceFile(f"chef/{cookbook}/spec/default_spec.rb", doc.lines, doc.expect)


def inspec_file(ctx: Ctx, picker: Picker, cookbook: str, min_lines: int) -> SourceFile:
    """An InSpec test calling the service on localhost over HTTP: FP."""
    app = ctx.app
    doc = render(
        f"""
        # InSpec test for recipe {cookbook}::default

        describe package('{app.package}') do
          it {{ should be_installed }}
        end

        describe port({app.port}) do
          it {{ should be_listening }}
        end

        describe http('http://localhost:{app.port}/') do  ⟨h⟩
          its('status') {{ should cmp 200 }}
        end
        """,
        {"h": intent(HTTP, False)},
    )
    picker.note(doc)
    doc = assemble(ctx.rng, doc, [], Doc(), min_lines, lambda r: "")
    return SourceFile(f"chef/{cookbook}/test/integration/default/default_test.rb", doc.lines, doc.expect)


def build_project(
    rng: Random, picker: Picker, min_lines: int, max_lines: int, taken: set[str], single: int | None = None
) -> list[SourceFile]:
    """One cookbook under a new name (added to ``taken``): metadata, attributes, recipes, sometimes tests.
    With ``single``, only a default recipe of exactly ``single`` lines, sparse in scenarios."""
    app = rng.choice(APPS)
    org = rng.choice(("acme", "example-org", "infra-team", "devops"))
    cookbook = unique_name(f"{rng.choice(PROJECT_PREFIXES)}_{app.name}", taken, "_")
    ctx = Ctx(rng, app, org, far_room=min(40, max_lines - 20), namespace=app.name if rng.random() < 0.6 else "app")
    density = rng.uniform(0.2, 0.45)
    files = [metadata_file(ctx, cookbook, min_lines)]
    recipes = ["default"] + rng.sample(
        ("install", "configure", "service", "database", "users", "repo"), rng.randint(0, 3)
    )
    if single:
        files.append(recipe_file(ctx, picker, cookbook, "default", single, density / 3))
    else:
        for recipe in recipes:
            files.append(recipe_file(ctx, picker, cookbook, recipe, file_length(rng, min_lines, max_lines), density))
    attributes_length = max(
        file_length(rng, min_lines, max(min_lines, max_lines // 3)), min(max_lines, len(ctx.far) + 14)
    )
    files.append(attributes_file(ctx, picker, cookbook, attributes_length, density))
    if rng.random() < 0.2:
        files.append(spec_file(ctx, picker, cookbook, min_lines))
    if rng.random() < 0.25:
        files.append(inspec_file(ctx, picker, cookbook, min_lines))
    return files
