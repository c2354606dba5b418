"""Puppet modules: a parameterised main class, sub-classes, sometimes a params class and an example.

Secrets come from class parameters, ``lookup()``/``hiera()``, ``Sensitive()`` and ``Deferred`` vault lookups;
sub-classes read the main class's parameters as ``$<module>::<param>``.
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


class PuppetCtx(Ctx):
    """Project state; ``namespace`` is the module name, ``inherits`` whether the current class inherits the
    main class (then its parameters are visible unqualified)."""

    inherits: bool = False


def literal_secret(rng: Random, name: str) -> str:
    """A single-quoted hard-coded value fitting the name, sometimes wrapped in ``Sensitive()``."""
    lowered = name.lower()
    text = (
        random_token(rng)
        if any(w in lowered for w in ("token", "secret", "key")) and "pass" not in lowered
        else (random_password(rng))
    )
    return f"Sensitive('{text}')" if rng.random() < 0.25 else f"'{text}'"


def stored_secret(ctx: Ctx, name: str) -> str:
    """A secret read through hiera, lookup or a deferred vault lookup."""
    module = ctx.namespace
    return ctx.rng.choice(
        (
            f"lookup('{module}::{name}')",
            f"lookup('{module}::{name}')",
            f"hiera('{module}::{name}')",
            f"Sensitive(lookup('{module}::{name}'))",
            f"Deferred('vault_lookup::lookup', ['secret/{module}/{name}'])",
        )
    )


def secret_value(ctx: Ctx, name: str, want: bool, notes: bool, param: bool) -> tuple[list[str], str]:
    """Comment lines and the value for a secret: literal (TP) or stored/undef/commented placeholder (FP)."""
    rng = ctx.rng
    if want:
        if notes and rng.random() < 0.2:
            comments = ["# " + rng.choice(PLAIN_SECRET_NOTES)] if rng.random() < 0.5 else []
            return comments, rng.choice(PLACEHOLDER_VALUES)
        return [], literal_secret(rng, name)
    if notes and rng.random() < 0.25:
        return ["# " + rng.choice(OVERRIDE_NOTES)], rng.choice(PLACEHOLDER_VALUES)
    if param and rng.random() < 0.3:
        return [], "undef"
    return [], stored_secret(ctx, name)


def param_line(name: str, value: str) -> str:
    """A class parameter with a type fitting its value."""
    if value == "undef":
        kind = "Optional[String]"
    elif value.startswith(("Sensitive", "Deferred")):
        kind = "Variant[String, Sensitive[String], Deferred]"
    else:
        kind = "String"
    return f"{kind} ${name} = {value},"


def secret_param(ctx: Ctx, name: str, want: bool) -> Doc:
    """A secret class parameter with its comment lines, marked with the intended label."""
    comments, value = secret_value(ctx, name, want, notes=True, param=True)
    doc = Doc().add_lines(comments)
    return doc.add(param_line(name, value), intent(SECRET, want))


def add_far(ctx: Ctx, doc: Doc) -> None:
    """Queue parameters for the main class, as a group of their own."""
    if ctx.far.lines:
        ctx.far.add("")
    ctx.far.extend(doc)


def fresh_param(ctx: Ctx, name: str) -> str:
    """``name``, or a numbered variant of it, not yet a parameter of the main class."""
    candidate, number = name, 1
    while candidate in ctx.far_names or candidate in ctx.file_vars:
        number += 1
        candidate = f"{name}_{number}"
    return candidate


def module_ref(ctx: Ctx, name: str) -> str:
    """How the current class reads a main-class parameter: ``$<name>`` when it inherits, else qualified."""
    if getattr(ctx, "inherits", False):
        return f"${name}"
    return f"${ctx.namespace}::{name}"


# -- secret scenarios (class bodies) --------------------------------------------------------------------------


def database_local(ctx: Ctx, want: bool) -> Doc:
    """A database whose password variable is assigned just above it."""
    rng = ctx.rng
    var = ctx.local_var(PASSWORD_VARS)
    _, value = secret_value(ctx, var, want, notes=False, param=False)
    user = rng.choice(("app", ctx.app.name, "appuser", "reporting"))
    return render(
        f"""
        ${var} = {value}  ⟨d⟩
        mysql::db {{ '{ctx.app.name}':
          user     => '{user}',  ⟨u⟩
          password => ${var},  ⟨p⟩
          host     => 'localhost',
          grant    => ['ALL'],
        }}
        """,
        {"d": intent(SECRET, want), "u": intent(SECRET, want), "p": intent(SECRET, want)},
    )


def database_param(ctx: Ctx, want: bool) -> Doc:
    """A database whose password is a parameter of the main class (another file)."""
    rng = ctx.rng
    var = ctx.pick_var(PASSWORD_VARS, far=True, lines=2)
    if var is None:
        return database_local(ctx, want)
    add_far(ctx, secret_param(ctx, var, want))
    return render(
        f"""
        mysql::db {{ '{ctx.app.name}':
          user     => '{rng.choice(("app", ctx.app.name, "appuser"))}',  ⟨u⟩
          password => {module_ref(ctx, var)},  ⟨p⟩
          host     => 'localhost',
          grant    => ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
        }}
        """,
        {"u": intent(SECRET, want), "p": intent(SECRET, want)},
    )


def account(ctx: Ctx, want: bool) -> Doc:
    """A ``user`` resource: a service account (FP) or an admin with a literal or looked-up password."""
    rng = ctx.rng
    if not want and rng.random() < 0.5:
        name = ctx.app.account if rng.random() < 0.6 else rng.choice(("jenkins", "mysql", "deploy"))
        return render(
            f"""
            user {{ '{name}':  ⟨u⟩
              ensure     => present,
              system     => true,
              shell      => '/usr/sbin/nologin',
              home       => '/var/lib/{name}',
              managehome => false,
            }}
            """,
            {"u": intent(SECRET, False)},
        )
    login = rng.choice(("admin", "ops", "support", "deploy"))
    if want and rng.random() < 0.5:
        return render(
            f"""
            user {{ '{login}':  ⟨u⟩
              ensure     => present,
              password   => '$6${random_hex(rng, 8)}${random_hex(rng, 43)}',  ⟨p⟩
              groups     => ['sudo'],
              managehome => true,
            }}
            """,
            {"u": intent(SECRET, True), "p": intent(SECRET, True)},
        )
    var = ctx.local_var(("admin_password", f"{login}_password", "ops_password"))
    _, value = secret_value(ctx, var, want, notes=False, param=False)
    return render(
        f"""
        ${var} = {value}  ⟨d⟩
        user {{ '{login}':  ⟨u⟩
          ensure     => present,
          password   => ${var},  ⟨p⟩
          groups     => ['sudo'],
        }}
        """,
        {"d": intent(SECRET, want), "u": intent(SECRET, want), "p": intent(SECRET, want)},
    )


def run_as(ctx: Ctx, want: bool) -> Doc:
    """An ``exec`` run as the service account: flagged user, FP."""
    app = ctx.app
    return render(
        f"""
        exec {{ '{app.name}-migrate':
          command => '/opt/{app.name}/bin/migrate --yes',
          user    => '{app.account}',  ⟨u⟩
          cwd     => '/opt/{app.name}',
          creates => '/var/lib/{app.name}/.migrated',
          path    => ['/usr/bin', '/bin'],
        }}
        """,
        {"u": intent(SECRET, False)},
    )


def token_local(ctx: Ctx, want: bool) -> Doc:
    """An API token in a variable, written to a file."""
    var = ctx.local_var(TOKEN_VARS)
    _, value = secret_value(ctx, var, want, notes=False, param=False)
    return render(
        f"""
        ${var} = {value}  ⟨d⟩
        file {{ '/etc/{ctx.app.name}/agent.token':
          ensure  => file,
          content => ${var},
          owner   => '{ctx.app.account}',
          mode    => '0600',
        }}
        """,
        {"d": intent(SECRET, want)},
    )


# -- secret scenarios (class parameters) ----------------------------------------------------------------------


def param_credentials(ctx: Ctx, want: bool) -> Doc:
    """An admin login and password as class parameters."""
    rng = ctx.rng
    name = fresh_param(ctx, rng.choice(("admin_password", "root_password", "password")))
    user = fresh_param(ctx, "admin_user")
    ctx.file_vars.update((name, user))
    ctx.far_names.update((name, user))
    doc = Doc().add(f"String ${user} = '{rng.choice(LOGINS)}',", intent(SECRET, want))
    return doc.extend(secret_param(ctx, name, want))


def param_not_a_secret(ctx: Ctx, want: bool) -> Doc:
    """A parameter whose name only contains a keyword."""
    rng = ctx.rng
    app = ctx.app.name
    options = (
        f"String $key_buffer_size = '{rng.choice(('128M', '256M'))}',",
        f"Stdlib::Absolutepath $ssl_key = '/etc/ssl/private/{app}.key',",
        f"Stdlib::Absolutepath $ssl_cert = '/etc/ssl/certs/{app}.pem',",
        "String $keyserver = 'hkp://keyserver.ubuntu.com:80',",
        "String $user_shell = '/bin/bash',",
        f"String $token_ttl = '{rng.choice(('1h', '30m'))}',",
        "Optional[String] $api_token = undef,",
        f"Stdlib::Absolutepath $secret_key_file = '/etc/{app}/secret.key',",
    )
    line = rng.choice(options)
    var = line.split("$", 1)[1].split(" ", 1)[0]
    if var in ctx.file_vars or var in ctx.far_names:
        return Doc().add(f"String $passenger_max_pool = '{rng.choice((4, 6, 8))}',", intent(SECRET, False))
    ctx.file_vars.add(var)
    ctx.far_names.add(var)
    return Doc().add(line, intent(SECRET, False))


# -- comments ------------------------------------------------------------------------------------------------


def security_resource(ctx: Ctx) -> Doc:
    """A resource a reviewer reads as security-relevant."""
    rng = ctx.rng
    app = ctx.app.name
    options = (
        f"""
        exec {{ 'install {app}':
          command => 'curl -k -sSL https://{rng.choice(HTTPS_HOSTS)}/{app}/install.sh | bash',
          creates => '/usr/local/bin/{app}',
          path    => ['/usr/bin', '/bin'],
        }}
        """,
        """
        file { '/etc/sudoers.d/deploy':
          ensure  => file,
          content => "deploy ALL=(ALL) NOPASSWD: ALL\\n",
          mode    => '0440',
        }
        """,
        f"""
        file {{ '/srv/{app}/uploads':
          ensure => directory,
          mode   => '0777',
        }}
        """,
        """
        exec { 'selinux permissive':
          command => 'setenforce 0',
          unless  => 'getenforce | grep -q Permissive',
          path    => ['/usr/sbin', '/usr/bin'],
        }
        """,
        """
        service { 'firewalld':
          ensure => stopped,
          enable => false,
        }
        """,
        """
        file_line { 'sshd root login':
          path  => '/etc/ssh/sshd_config',
          line  => 'PermitRootLogin yes',
          match => '^PermitRootLogin',
        }
        """,
    )
    return render(rng.choice(options))


def cosmetic_resource(ctx: Ctx) -> Doc:
    """A resource with nothing security-relevant in it."""
    rng = ctx.rng
    app = ctx.app
    options = (
        """
        package { ['htop', 'jq', 'unzip']:
          ensure => installed,
        }
        """,
        """
        file { '/etc/motd':
          ensure  => file,
          content => template('motd/motd.erb'),
          mode    => '0644',
        }
        """,
        f"""
        service {{ '{app.service}':
          ensure => running,
          enable => true,
        }}
        """,
        f"""
        file {{ '/var/log/{app.name}':
          ensure => directory,
          owner  => '{app.account}',
          mode   => '0755',
        }}
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
    """A generic note at the end of a security-relevant attribute (TP) or an ordinary one (FP)."""
    rng = ctx.rng
    note = rng.choice(GENERIC_TODOS[:8])
    app = ctx.app
    if want:
        return render(
            f"""
            file {{ '/etc/{app.name}/conf.d':
              ensure => directory,
              mode   => '0777', # {note}  ⟨c⟩
            }}
            """,
            {"c": intent(COMMENT, True)},
        )
    return render(
        f"""
        service {{ '{app.service}':
          ensure => running, # {note}  ⟨c⟩
          enable => true,
        }}
        """,
        {"c": intent(COMMENT, False)},
    )


def param_comment(ctx: Ctx, want: bool) -> Doc:
    """A suspicious comment above a class parameter."""
    rng = ctx.rng
    text, security = comment_text(ctx, want)
    if security is None:
        security = rng.random() < 0.4
    options = (
        ("Boolean $ssl_verify = false,", "String $bind_address = '0.0.0.0',", "Boolean $tls_enabled = false,")
        if security
        else (
            "String $log_level = 'info',",
            "Integer $max_connections = 512,",
            f"String $data_dir = '/var/lib/{ctx.app.name}',",
        )
    )
    line = next(
        (
            option
            for option in rng.sample(options, len(options))
            if option.split("$")[1].split(" ")[0] not in ctx.far_names
        ),
        None,
    )
    if line is None:
        line = f"String ${ctx.app.name}_note_{len(ctx.far_names)} = 'x',"
    ctx.far_names.add(line.split("$")[1].split(" ")[0])
    return Doc().add(f"# {text}", intent(COMMENT, want)).add(line)


# -- HTTP ---------------------------------------------------------------------------------------------------


def archive_literal(ctx: Ctx, want: bool) -> Doc:
    """A download from another host over HTTP (TP) or a local health check (FP)."""
    rng = ctx.rng
    app = ctx.app
    version = rng.choice(VERSIONS)
    if want:
        return render(
            f"""
            archive {{ '/tmp/{app.name}-{version}.tar.gz':
              ensure       => present,
              source       => 'http://{rng.choice(EXTERNAL_HOSTS)}/{app.name}/{app.name}-{version}.tar.gz',  ⟨h⟩
              extract      => true,
              extract_path => '/opt',
              creates      => '/opt/{app.name}-{version}',
              cleanup      => true,
            }}
            """,
            {"h": intent(HTTP, True)},
        )
    return render(
        f"""
        exec {{ 'wait for {app.name}':
          command   => 'curl -sf http://{rng.choice(("localhost", "127.0.0.1"))}:{app.port}/health',  ⟨h⟩
          tries     => 10,
          try_sleep => 3,
          path      => ['/usr/bin', '/bin'],
        }}
        """,
        {"h": intent(HTTP, False)},
    )


def download_templated_host(ctx: Ctx, want: bool) -> Doc:
    """The same download command; the mirror variable above it is external (TP) or local (FP)."""
    rng = ctx.rng
    app = ctx.app.name
    var = ctx.local_var(HOST_VARS)
    host = rng.choice(MIRROR_EXTERNAL if want else MIRROR_LOCAL)
    if rng.random() < 0.5:
        command = f"wget -q -P /tmp http://${{{var}}}/dist/${{archive_name}}"
    else:
        command = f"wget -q -O /tmp/{app}.tar.gz http://${{{var}}}/{app}/{app}.tar.gz"
    return render(
        f"""
        ${var} = '{host}'
        exec {{ 'download {app}':
          command => "{command}",  ⟨h⟩
          path    => ['/usr/bin', '/bin'],
          creates => '/tmp/{app}.tar.gz',
        }}
        """,
        {"h": intent(HTTP, want)},
    )


def health_check_host(ctx: Ctx, want: bool) -> Doc:
    """The same health-check command; the host assigned above is this machine (FP) or another one (TP)."""
    rng = ctx.rng
    host = rng.choice(("api.example.com", "10.0.4.21", "app01.example.net") if want else ("localhost", "127.0.0.1"))
    return render(
        f"""
        $service_host = '{host}'
        exec {{ 'check {ctx.app.name}':
          command => "curl -sf http://${{service_host}}/health",  ⟨h⟩
          path    => ['/usr/bin', '/bin'],
        }}
        """,
        {"h": intent(HTTP, want)},
    )


def repository_param_host(ctx: Ctx, want: bool) -> Doc:
    """An apt source whose mirror is a parameter of the main class."""
    rng = ctx.rng
    app = ctx.app.name
    var = ctx.pick_var(HOST_VARS, far=True, lines=1)
    if var is None:
        return download_templated_host(ctx, want)
    add_far(ctx, Doc().add(f"String ${var} = '{rng.choice(MIRROR_EXTERNAL if want else MIRROR_LOCAL)}',"))
    return render(
        f"""
        apt::source {{ '{app}':
          location => "http://${{{module_ref(ctx, var)[1:]}}}/debian",  ⟨h⟩
          release  => 'stable',
          repos    => 'main',
        }}
        """,
        {"h": intent(HTTP, want)},
    )


def package_repository(ctx: Ctx, want: bool) -> Doc:
    """An apt/yum repository fetched over HTTP from another host: TP."""
    rng = ctx.rng
    app = ctx.app.name
    host = rng.choice(EXTERNAL_HOSTS)
    options = (
        f"""
        apt::source {{ '{app}':
          location => 'http://{host}/{app}/debian',  ⟨h⟩
          release  => 'stable',
          repos    => 'main',
        }}
        """,
        f"""
        yumrepo {{ '{app}':
          descr    => '{ctx.app.title} packages',
          baseurl  => 'http://{host}/{app}/el/$releasever/$basearch/',  ⟨h⟩
          gpgcheck => '1',
          enabled  => '1',
        }}
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
        file {{ '/var/www/{app.name}':  ⟨h⟩
          ensure => directory,
          owner  => 'www-data',
        }}
        """,
        {"h": intent(HTTP, False)},
    )


def param_url(ctx: Ctx, want: bool) -> Doc:
    """URL parameters: a download URL over HTTP (TP), a local endpoint or www docroot (FP)."""
    rng = ctx.rng
    app = ctx.app
    name = rng.choice(("download_url", "package_url")) if want else rng.choice(("metrics_url", "docroot", "status_url"))
    if name in ctx.far_names:
        name = f"{app.name}_{name}"
    ctx.far_names.add(name)
    if want:
        value = f"'http://{rng.choice(EXTERNAL_HOSTS)}/{app.name}/{app.name}-{rng.choice(VERSIONS)}.tar.gz'"
    elif "docroot" in name:
        value = f"'/var/www/{app.name}'"
    else:
        value = f"'http://localhost:{app.port}/{'metrics' if 'metrics' in name else 'status'}'"
    return Doc().add(f"String ${name} = {value},", intent(HTTP, want))


# -- weak crypto -----------------------------------------------------------------------------------------------


def file_checksum(ctx: Ctx, want: bool) -> Doc:
    """MD5 as the checksum Puppet uses to compare file content: FP."""
    rng = ctx.rng
    app = ctx.app
    return render(
        f"""
        file {{ '{app.config}':
          ensure   => file,
          source   => 'puppet:///modules/{ctx.namespace}/{app.config.rsplit("/", 1)[-1]}',
          checksum => '{rng.choice(("md5", "md5lite"))}',  ⟨c⟩
          notify   => Service['{app.service}'],
        }}
        """,
        {"c": intent(CRYPTO, False)},
    )


def algorithms(ctx: Ctx, want: bool) -> Doc:
    """TLS/SSH algorithm settings: weak ones enabled (TP) or excluded (FP)."""
    rng = ctx.rng
    if want:
        if rng.random() < 0.5:
            return render(
                """
                file_line { 'sshd MACs':
                  path  => '/etc/ssh/sshd_config',
                  line  => 'MACs hmac-sha1,hmac-sha2-256',  ⟨c⟩
                  match => '^MACs',
                }
                """,
                {"c": intent(CRYPTO, True)},
            )
        ciphers = rng.choice(("RC4-SHA:DES-CBC3-SHA:HIGH", "HIGH:MEDIUM:RC4"))
    else:
        ciphers = rng.choice(("HIGH:!aNULL:!MD5", "EECDH+AESGCM:!MD5:!RC4"))
    return render(
        f"""
        nginx::resource::server {{ '{ctx.app.name}':
          listen_port => 443,
          ssl         => true,
          ssl_ciphers => '{ciphers}',  ⟨c⟩
        }}
        """,
        {"c": intent(CRYPTO, want)},
    )


def pg_hba(ctx: Ctx, want: bool) -> Doc:
    """PostgreSQL MD5 password authentication: TP."""
    app = ctx.app.name
    return render(
        f"""
        postgresql::server::pg_hba_rule {{ 'allow the {app} network':
          type        => 'host',
          database    => '{app}',
          address     => '10.0.0.0/8',
          auth_method => 'md5',  ⟨c⟩
        }}
        """,
        {"c": intent(CRYPTO, True)},
    )


def digest_local(ctx: Ctx, want: bool) -> Doc:
    """The same hashing line; the comment above says what it is for."""
    rng = ctx.rng
    purpose = rng.choice(
        (
            "Signature for the API login",
            "Hash of the admin password for the htpasswd file",
            "Token for signing requests",
        )
        if want
        else (
            "Short build id for the release directory",
            "Cache key of the rendered config",
            "Compare the uploaded files",
        )
    )
    source = rng.choice(("$facts['networking']['fqdn']", "$trusted['certname']", "$facts['hostname']"))
    return render(
        f"""
        # {purpose}
        $digest = {rng.choice(("md5", "sha1"))}({source})  ⟨c⟩
        """,
        {"c": intent(CRYPTO, want)},
    )


def param_hash_algorithm(ctx: Ctx, want: bool) -> Doc:
    """A hash-algorithm parameter; the comment above says what it is used for."""
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
    options = [name for name in ("hash_algorithm", "digest", "hash_type") if name not in ctx.far_names]
    name = rng.choice(options) if options else f"{ctx.app.name}_digest_{len(ctx.far_names)}"
    ctx.far_names.add(name)
    return render(
        f"""
        # {purpose}
        String ${name} = '{rng.choice(("md5", "sha1"))}',  ⟨c⟩
        """,
        {"c": intent(CRYPTO, want)},
    )


# -- filler --------------------------------------------------------------------------------------------------


def filler_resource(ctx: Ctx, room: int) -> Doc | None:
    """An ordinary resource or statement of a class body."""
    rng = ctx.rng
    app = ctx.app
    module = ctx.namespace
    tools = ", ".join(f"'{tool}'" for tool in rng.sample(TOOL_PACKAGES, rng.randint(2, 4)))
    sysctl_name, sysctl_value = rng.choice(SYSCTL_SETTINGS)
    setting, setting_value = rng.choice(CONFIG_SETTINGS)
    options = [
        f"""
        package {{ '{app.package}':
          ensure => installed,
        }}
        """,
        f"""
        package {{ [{tools}]:
          ensure => installed,
        }}
        """,
        f"""
        sysctl {{ '{sysctl_name}':
          ensure => present,
          value  => '{sysctl_value}',
        }}
        """,
        f"""
        file_line {{ '{app.name} {setting}':
          path   => '{app.config}',
          line   => '{setting} = {setting_value}',
          match  => '^{setting}',
          notify => Service['{app.service}'],
        }}
        """,
        f"""
        file {{ '/etc/default/{app.name}':
          ensure  => file,
          content => epp('{ctx.namespace}/{app.name}.default.epp'),
          mode    => '0644',
        }}
        """,
        f"""
        file {{ '{app.config}':
          ensure  => file,
          owner   => 'root',
          group   => 'root',
          mode    => '0644',
          content => template('{module}/{app.config.rsplit("/", 1)[-1]}.erb'),
          notify  => Service['{app.service}'],
        }}
        """,
        f"""
        service {{ '{app.service}':
          ensure     => running,
          enable     => true,
          hasrestart => true,
        }}
        """,
        f"""
        file {{ ['/var/lib/{app.name}', '/var/log/{app.name}']:
          ensure => directory,
          owner  => '{app.account}',
          group  => '{app.account}',
          mode   => '0750',
        }}
        """,
        """
        case $::osfamily {
          'RedHat': {
            $package_provider = 'yum'
          }
          'Debian': {
            $package_provider = 'apt'
          }
          default: {
            fail("Unsupported osfamily ${::osfamily}")
          }
        }
        """,
        """
        if $facts['os']['family'] == 'RedHat' {
          package { 'epel-release':
            ensure => installed,
          }
        }
        """,
        f"""
        cron {{ '{app.name}-cleanup':
          command => 'find /var/lib/{app.name}/tmp -mtime +7 -delete',
          hour    => 3,
          minute  => 30,
        }}
        """,
        f"""
        exec {{ '{app.name}-daemon-reload':
          command     => 'systemctl daemon-reload',
          path        => ['/usr/bin', '/bin'],
          refreshonly => true,
        }}
        """,
        """
        include stdlib
        """,
        f"""
        Package['{app.package}'] -> File['{app.config}']
        """,
        """
        sysctl { 'vm.swappiness':
          ensure => present,
          value  => '1',
        }
        """,
    ]
    doc = render(rng.choice(options))
    if rng.random() < 0.3:
        note = rng.choice(PLAIN_NOTES) if rng.random() < 0.85 else rng.choice(IN_WORD_NOTES)
        doc = Doc().add(f"# {note}").extend(doc)
    return doc if len(doc) <= room else None


def filler_params(ctx: Ctx) -> Doc:
    """The ordinary parameters of a main class."""
    rng = ctx.rng
    app = ctx.app
    options = [
        f"String $package_name = '{app.package}',",
        f"String $service_name = '{app.service}',",
        f"Integer $port = {app.port},",
        "Boolean $manage_service = true,",
        f"Stdlib::Absolutepath $config_dir = '/etc/{app.name}',",
        f"String $version = '{rng.choice(VERSIONS)}',",
        "Enum['running', 'stopped'] $service_ensure = 'running',",
        f"String $listen_address = '{rng.choice(('0.0.0.0', '127.0.0.1'))}',",
        "Hash $options = {},",
        f"String $service_user = '{app.account}',",
    ]
    chosen = [line for line in options if line.split("$")[1].split(" ")[0] not in ctx.far_names]
    doc = Doc()
    for line in rng.sample(chosen, min(len(chosen), rng.randint(3, 6))):
        ctx.far_names.add(line.split("$")[1].split(" ")[0])
        doc.add(line)
    return doc


def pad_line(rng: Random) -> str:
    """A padding line between Puppet blocks."""
    return "" if rng.random() < 0.7 else "# " + rng.choice(PLAIN_NOTES)


CATALOG = Catalog()
CATALOG.add("body", SECRET, 4.0, database_local)
CATALOG.add("body", SECRET, 2.5, database_param)
CATALOG.add("body", SECRET, 1.5, account)
CATALOG.add("body", SECRET, 1.0, run_as, "fp")
CATALOG.add("body", SECRET, 1.5, token_local)
CATALOG.add("body", COMMENT, 3.0, comment_before_resource)
CATALOG.add("body", COMMENT, 1.5, trailing_comment)
CATALOG.add("body", HTTP, 2.0, archive_literal)
CATALOG.add("body", HTTP, 3.0, download_templated_host)
CATALOG.add("body", HTTP, 2.0, health_check_host)
CATALOG.add("body", HTTP, 2.5, repository_param_host)
CATALOG.add("body", HTTP, 1.5, package_repository, "tp")
CATALOG.add("body", HTTP, 1.5, http_not_a_transfer, "fp")
CATALOG.add("body", CRYPTO, 2.0, file_checksum, "fp")
CATALOG.add("body", CRYPTO, 2.0, algorithms)
CATALOG.add("body", CRYPTO, 1.0, pg_hba, "tp")
CATALOG.add("body", CRYPTO, 2.5, digest_local)
CATALOG.add("params", SECRET, 3.0, param_credentials)
CATALOG.add("params", SECRET, 2.0, param_not_a_secret, "fp")
CATALOG.add("params", COMMENT, 1.5, param_comment)
CATALOG.add("params", HTTP, 2.0, param_url)
CATALOG.add("params", CRYPTO, 2.0, param_hash_algorithm)


# -- files and modules ---------------------------------------------------------------------------------------


def _body(ctx: Ctx, picker: Picker, budget: int, density: float) -> list[Doc]:
    """Blocks for a class body (Puppet variables cannot be reassigned: keys must be unique)."""
    return body_blocks(ctx, picker, CATALOG, "puppet", "body", budget, density, filler_resource, True)


def class_file(ctx: Ctx, picker: Picker, module: str, name: str, target: int, density: float) -> SourceFile:
    """``manifests/<name>.pp``: a class ``<module>::<name>`` with scenario and filler blocks."""
    ctx.new_file()
    ctx.inherits = ctx.rng.random() < 0.5
    inherits = f" inherits {module}" if ctx.inherits else ""
    head = render(
        f"""
        # @summary Manages the {name} part of {ctx.app.name}.
        #
        class {module}::{name}{inherits} {{
        """
    )
    footer = Doc().add("}")
    blocks = _body(ctx, picker, target - len(head) - len(footer), density)
    if not blocks:
        blocks = [render(f"include {module}")]
    doc = assemble(ctx.rng, head, blocks, footer, target, pad_line, indent=2)
    return SourceFile(f"puppet/{module}/manifests/{name}.pp", doc.lines, doc.expect)


def init_file(ctx: Ctx, picker: Picker, module: str, target: int, density: float, parts: list[str]) -> SourceFile:
    """``manifests/init.pp``: the main class; its parameters include those the sub-classes refer to."""
    ctx.new_file()
    ctx.inherits = True
    rng = ctx.rng
    params = Doc().extend(ctx.far)
    ctx.far = Doc()
    ctx.far_room = 0
    if params.lines:
        params.add("")
    params.extend(filler_params(ctx))
    room = max(0, (target - len(params) - 8 - 2 * len(parts)) // 2)
    for block in body_blocks(ctx, picker, CATALOG, "puppet", "params", min(room, 24), density * 2, None, True):
        params.add("").extend(block)
    head = render(
        f"""
        # @summary Installs and configures {ctx.app.name}.
        #
        # @example
        #   include {module}
        #
        class {module} (
        """
    )
    head.extend(params, 2)
    head.add(") {")
    body = [Doc().add_lines([f"contain {module}::{part}" for part in parts])] if parts else []
    if len(parts) > 1:
        chain = " -> ".join(f"Class['{module}::{part}']" for part in parts)
        body.append(Doc().add(chain))
    budget = target - len(head) - 1 - sum(len(block) + 1 for block in body)
    if budget > 4:
        body += _body(ctx, picker, budget, density * 0.5)
    if not body:
        body = [Doc().add("include stdlib")]
    doc = assemble(rng, head, body, Doc().add("}"), target, pad_line, indent=2)
    return SourceFile(f"puppet/{module}/manifests/init.pp", doc.lines, doc.expect)


def example_file(ctx: Ctx, picker: Picker, module: str, min_lines: int) -> SourceFile:
    """``examples/init.pp``: a declaration with literal credentials (test fixture, still TP)."""
    rng = ctx.rng
    doc = render(
        f"""
        # Example: a single node with a local database.
        class {{ '{module}':
          admin_user     => '{rng.choice(LOGINS)}',  ⟨u⟩
          admin_password => '{random_password(rng)}',  ⟨p⟩
          port           => {ctx.app.port},
        }}
        """,
        {"u": intent(SECRET, True), "p": intent(SECRET, True)},
    )
    picker.note(doc)
    doc = assemble(rng, doc, [], Doc(), min_lines, lambda r: "")
    return SourceFile(f"puppet/{module}/examples/init.pp", doc.lines, doc.expect)


def build_project(
    rng: Random, picker: Picker, min_lines: int, max_lines: int, taken: set[str], single: int | None = None
) -> list[SourceFile]:
    """One module under a new name (added to ``taken``): sub-classes first (they queue parameters), then
    the main class, sometimes an example. With ``single``, one sparse class of exactly ``single`` lines."""
    app = rng.choice(APPS)
    org = rng.choice(("acme", "example-org", "infra-team", "devops"))
    module = unique_name(f"{rng.choice(PROJECT_PREFIXES)}_{app.name}", taken, "_")
    ctx = PuppetCtx(rng, app, org, far_room=min(40, max_lines - 40), namespace=module)
    density = rng.uniform(0.08, 0.22)
    parts = rng.sample(
        ("install", "config", "service", "database", "users", "repo", "firewall", "backup"), rng.randint(1, 6)
    )
    if single:
        files = [class_file(ctx, picker, module, parts[0], single, density / 3)]
        parts = parts[:1]
    else:
        files = [
            class_file(ctx, picker, module, part, file_length(rng, min_lines, max_lines), density) for part in parts
        ]
    init_length = max(
        file_length(rng, min_lines, min(max_lines, 60) if single else max_lines), min(max_lines, len(ctx.far) + 30)
    )
    files.append(init_file(ctx, picker, module, init_length, density, parts))
    if rng.random() < 0.2:
        files.append(example_file(ctx, picker, module, min_lines))
    return files
