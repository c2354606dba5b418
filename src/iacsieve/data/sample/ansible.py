"""Ansible projects: playbooks, roles (tasks, defaults, handlers), group_vars and molecule fixtures.

Every file is plain YAML that ``yaml.safe_load`` accepts: Jinja expressions are quoted, secrets come from
``lookup(...)`` or ``vault_*`` variables (never the ``!vault`` tag).
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
    GROUPS,
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

PLACEHOLDER_VALUES: tuple[str, ...] = ("changeme", "CHANGEME", "change_me", '"<password>"', "REPLACE_ME")


def jinja(expression: str) -> str:
    """A quoted Jinja expression, as YAML needs it."""
    return '"{{ ' + expression + ' }}"'


# -- secret values -----------------------------------------------------------------------------------------


def literal_secret(rng: Random, var: str) -> str:
    """A hard-coded value fitting the variable's name (token-like for tokens and keys)."""
    lowered = var.lower()
    if any(word in lowered for word in ("token", "secret", "key")) and "pass" not in lowered:
        return random_token(rng)
    return random_password(rng)


def vaulted_value(ctx: Ctx, var: str) -> str:
    """A value read from a secret store, the environment or a vault variable."""
    app = ctx.app.name
    options = (
        jinja(f"vault_{var}"),
        jinja(f"vault_{var}"),
        jinja(f"lookup('hashi_vault', 'secret=secret/data/{app}:{var}')"),
        jinja(f"lookup('env', '{var.upper()}')"),
        jinja(f"lookup('aws_ssm', '/{app}/{var}')"),
        jinja(f"lookup('password', 'credentials/{app}/{var} length=24')"),
    )
    return ctx.rng.choice(options)


def secret_def(ctx: Ctx, var: str, want: bool, notes: bool) -> Doc:
    """Define ``var``: a literal (TP) or a vaulted value (FP); with ``notes`` also commented placeholders."""
    rng = ctx.rng
    doc = Doc()
    if want:
        if notes and rng.random() < 0.2:
            if rng.random() < 0.5:
                doc.add("# " + rng.choice(PLAIN_SECRET_NOTES))
            doc.add(f"{var}: {rng.choice(PLACEHOLDER_VALUES)}", intent(SECRET, True))
        else:
            doc.add(f'{var}: "{literal_secret(rng, var)}"', intent(SECRET, True))
    elif notes and rng.random() < 0.25:
        doc.add("# " + rng.choice(OVERRIDE_NOTES))
        doc.add(f"{var}: {rng.choice(PLACEHOLDER_VALUES)}", intent(SECRET, False))
    else:
        doc.add(f"{var}: {vaulted_value(ctx, var)}", intent(SECRET, False))
    return doc


def add_far(ctx: Ctx, doc: Doc) -> None:
    """Queue definitions for the role defaults file, separated from the previous ones by a blank line."""
    if ctx.far.lines:
        ctx.far.add("")
    ctx.far.extend(doc)


# -- secret scenarios (tasks) -------------------------------------------------------------------------------


def db_user_with_task_vars(ctx: Ctx, want: bool) -> Doc:
    """A database user whose password variable is defined in the task's own ``vars``."""
    rng = ctx.rng
    var = ctx.local_var(PASSWORD_VARS)
    definition = secret_def(ctx, var, want, notes=False)
    mysql = rng.random() < 0.55
    module = "mysql_user" if mysql else "postgresql_user"
    user = rng.choice(("app", ctx.app.name, "appuser", f"svc_{ctx.app.name}", "reporting"))
    doc = render("- name: Create the «app» database user", app=ctx.app.name)
    vars_first = rng.random() < 0.4
    if vars_first:
        doc.add("  vars:").extend(definition, 4)
    doc.add(f"  {module}:").add(f"    name: {user}")
    doc.add(f'    password: "{{{{ {var} }}}}"', intent(SECRET, want))
    if mysql:
        doc.add(f'    priv: "{ctx.app.name}.*:ALL"')
        if rng.random() < 0.4:
            doc.add("    login_user: root", intent(SECRET, want))
    else:
        doc.add(f"    db: {ctx.app.name}")
    doc.add("    state: present")
    if not vars_first:
        doc.add("  vars:").extend(definition, 4)
    if rng.random() < 0.5:
        doc.add("  no_log: true")
    return doc


def db_user_with_role_default(ctx: Ctx, want: bool) -> Doc:
    """A database user whose password is defined in the role defaults, out of sight of the task."""
    rng = ctx.rng
    var = ctx.pick_var(PASSWORD_VARS, far=True, lines=4)
    if var is None:
        return db_user_with_task_vars(ctx, want)
    user_var = f"{ctx.app.name}_db_user"
    far = Doc()
    if user_var not in ctx.far_names:
        ctx.far_names.add(user_var)
        far.add(f"{user_var}: {rng.choice(('app', 'appuser', ctx.app.name))}")
    far.extend(secret_def(ctx, var, want, notes=True))
    add_far(ctx, far)
    module = rng.choice(("mysql_user", "postgresql_user"))
    doc = render(
        """
        - name: Create the «app» database user
          «module»:
            name: "{{ «user_var» }}"
            password: "{{ «var» }}"  ⟨use⟩
            state: present
        """,
        {"use": intent(SECRET, want)},
        app=ctx.app.name,
        module=module,
        user_var=user_var,
        var=var,
    )
    if rng.random() < 0.5:
        doc.add("  no_log: true")
    return doc


def admin_account(ctx: Ctx, want: bool) -> Doc:
    """The ``user`` module: a service account (FP), or an admin login with a literal or vaulted password."""
    rng = ctx.rng
    choice = rng.random()
    if not want and choice < 0.5:
        account = ctx.app.account if rng.random() < 0.6 else rng.choice(("jenkins", "mysql", "deploy", "backup"))
        return render(
            """
            - name: Create the «account» service account
              user:
                name: «account»  ⟨name⟩
                system: true
                shell: /usr/sbin/nologin
                home: /var/lib/«account»
                create_home: false
            """,
            {"name": intent(SECRET, False)},
            account=account,
        )
    login = rng.choice(LOGINS[:3] + ("ops", "support"))
    if want and choice < 0.5:
        return render(
            """
            - name: Create the «login» account
              user:
                name: «login»  ⟨name⟩
                password: "{{ '«pw»' | password_hash('sha512') }}"  ⟨pw⟩
                groups: sudo
                append: true
                shell: /bin/bash
            """,
            {"name": intent(SECRET, True), "pw": intent(SECRET, True)},
            login=login,
            pw=random_password(rng),
        )
    var = ctx.local_var(("admin_password", f"{login}_password", "ops_password"))
    doc = render(
        """
        - name: Create the «login» account
          user:
            name: «login»  ⟨name⟩
            password: "{{ «var» | password_hash('sha512') }}"  ⟨pw⟩
            groups: sudo
            append: true
          vars:
        """,
        {"name": intent(SECRET, want), "pw": intent(SECRET, want)},
        login=login,
        var=var,
    )
    return doc.extend(secret_def(ctx, var, want, notes=False), 4)


def uri_basic_auth(ctx: Ctx, want: bool) -> Doc:
    """An API call with basic auth: the login is a hard-coded credential only next to a literal password."""
    rng = ctx.rng
    user_key, password_key = rng.choice((("user", "password"), ("url_username", "url_password")))
    login = rng.choice(LOGINS)
    doc = render("- name: Register this node with «App»", App=ctx.app.title)
    inline = rng.random() < 0.4
    var = None
    if not inline:
        var = ctx.local_var(("api_password", "admin_password", f"{ctx.app.name}_api_password"))
        doc.add("  vars:").extend(secret_def(ctx, var, want, notes=False), 4)
    elif want:
        value = f'"{random_password(rng)}"'
    else:
        value = jinja(f"vault_{ctx.app.name}_api_password")
    if var is not None:
        value = f'"{{{{ {var} }}}}"'
    doc.extend(
        render(
            """
            uri:
              url: "https://«app».example.com/api/v1/nodes"
              method: POST
              «user_key»: «login»  ⟨login⟩
              «password_key»: «value»  ⟨pw⟩
              force_basic_auth: true
              body_format: json
              body:
                hostname: "{{ inventory_hostname }}"
              status_code: [200, 201]
            """,
            {"login": intent(SECRET, want), "pw": intent(SECRET, want)},
            app=ctx.app.name,
            user_key=user_key,
            password_key=password_key,
            login=login,
            value=value,
        ),
        2,
    )
    return doc


def token_fact(ctx: Ctx, want: bool) -> Doc:
    """A token read into a fact, then sent in a header two tasks later."""
    rng = ctx.rng
    var = ctx.local_var(TOKEN_VARS)
    if want:
        value = f'"{random_token(rng)}"'
    else:
        value = rng.choice(
            (
                jinja(f"lookup('aws_ssm', '/{ctx.app.name}/{var}')"),
                jinja(f"lookup('file', '/etc/{ctx.app.name}/{var}')"),
                jinja(f"vault_{var}"),
                jinja(f"lookup('hashi_vault', 'secret=secret/data/{ctx.app.name}:{var}')"),
            )
        )
    return render(
        """
        - name: Read the «app» API token
          set_fact:
            «var»: «value»  ⟨def⟩
        - name: Register this host with «app»
          uri:
            url: "https://«app».example.com/api/hosts"
            headers:
              X-Api-Token: "{{ «var» }}"  ⟨use⟩
            method: POST
            status_code: 201
        """,
        {"def": intent(SECRET, want), "use": intent(SECRET, want)},
        app=ctx.app.name,
        var=var,
        value=value,
    )


def run_as_account(ctx: Ctx, want: bool) -> Doc:
    """A command run as a service account: GLITCH flags the ``become_user``, a reviewer does not care."""
    rng = ctx.rng
    account = ctx.app.account
    return render(
        """
        - name: Initialise the «app» data directory
          command: /usr/bin/«app»-setup --data-dir /var/lib/«app»
          args:
            creates: /var/lib/«app»/.initialised
          become: true
          «key»: «account»  ⟨user⟩
        """,
        {"user": intent(SECRET, False)},
        app=ctx.app.name,
        account=account,
        key=rng.choice(("become_user", "become_user", "remote_user")),
    )


def authorized_key(ctx: Ctx, want: bool) -> Doc:
    """An SSH public key for a deploy user: flagged twice, secret in neither line."""
    rng = ctx.rng
    user = rng.choice(("deploy", "ansible", ctx.app.account, "ci"))
    if rng.random() < 0.5:
        key = jinja(f"lookup('file', 'files/keys/{user}.pub')")
    else:
        key = f'"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{random_hex(rng, 32)} {user}@ci"'
    return render(
        """
        - name: Authorise the «user» key
          authorized_key:
            user: «user»  ⟨user⟩
            key: «key»  ⟨key⟩
            state: present
        """,
        {"user": intent(SECRET, False), "key": intent(SECRET, False)},
        user=user,
        key=key,
    )


# -- secret scenarios (variable files) ---------------------------------------------------------------------


def vars_credentials(ctx: Ctx, want: bool) -> Doc:
    """An admin login and its password in a variable file."""
    rng = ctx.rng
    app = ctx.app.name
    prefix = app if rng.random() < 0.5 else "app"
    var = ctx.local_var((f"{prefix}_admin_password", f"{prefix}_password", f"{prefix}_root_password"))
    doc = Doc().add(f"# {ctx.app.title} administrator")
    doc.add(f"{prefix}_admin_user: {rng.choice(LOGINS)}", intent(SECRET, want))
    return doc.extend(secret_def(ctx, var, want, notes=True))


def vars_secret(ctx: Ctx, want: bool) -> Doc:
    """A shared password or token variable in a variable file."""
    var = ctx.local_var(PASSWORD_VARS + TOKEN_VARS)
    return secret_def(ctx, var, want, notes=True)


def vars_not_a_secret(ctx: Ctx, want: bool) -> Doc:
    """An option whose name only contains a keyword: a size, a path, a key server, a shell."""
    rng = ctx.rng
    app = ctx.app.name
    options = (
        f"mysql_key_buffer_size: {rng.choice(('128M', '256M', '512M'))}",
        f"{app}_ssl_key: /etc/ssl/private/{app}.key",
        f"{app}_ssl_cert: /etc/ssl/certs/{app}.pem",
        "apt_keyserver: keyserver.ubuntu.com",
        f"{app}_user_shell: /bin/bash",
        f'passenger_max_pool_size: "{rng.choice((4, 6, 8))}"',
        f"{app}_token_ttl: {rng.choice(('1h', '30m', '24h'))}",
        f"{app}_session_key_name: {app}_session",
        f'{app}_password_min_length: "{rng.choice((8, 12, 14))}"',
        f"{app}_api_token: ~",
        f"{app}_secret_key_file: /etc/{app}/secret.key",
        f"{app}_update_password: on_create",
    )
    return Doc().add(rng.choice(options), intent(SECRET, False))


# -- comment scenarios ---------------------------------------------------------------------------------------


def security_task(ctx: Ctx) -> Doc:
    """A task a reviewer reads as security-relevant."""
    rng = ctx.rng
    app = ctx.app.name
    options = (
        f"""
        - name: Download the {app} installer
          get_url:
            url: "https://{rng.choice(HTTPS_HOSTS)}/{app}/install.sh"
            dest: /tmp/{app}-install.sh
            validate_certs: no
            mode: "0755"
        """,
        """
        - name: Allow passwordless sudo for the deploy user
          lineinfile:
            path: /etc/sudoers.d/deploy
            line: "deploy ALL=(ALL) NOPASSWD: ALL"
            create: true
            validate: "visudo -cf %s"
        """,
        f"""
        - name: Open up the upload directory
          file:
            path: /srv/{app}/uploads
            state: directory
            mode: "0777"
        """,
        """
        - name: Put SELinux in permissive mode
          selinux:
            policy: targeted
            state: permissive
        """,
        """
        - name: Allow root login over SSH
          lineinfile:
            path: /etc/ssh/sshd_config
            regexp: "^PermitRootLogin"
            line: "PermitRootLogin yes"
          notify: restart sshd
        """,
        """
        - name: Stop the host firewall
          service:
            name: ufw
            state: stopped
            enabled: false
        """,
        f"""
        - name: Trust the {app} repository key
          apt_key:
            url: "https://{rng.choice(HTTPS_HOSTS)}/{app}/repo.gpg"
            state: present
        """,
        f"""
        - name: Listen on every interface
          lineinfile:
            path: {ctx.app.config}
            regexp: "^bind"
            line: "bind 0.0.0.0"
        """,
    )
    return render(rng.choice(options))


def cosmetic_task(ctx: Ctx) -> Doc:
    """A task with nothing security-relevant in it."""
    rng = ctx.rng
    app = ctx.app
    options = (
        f"""
        - name: Install {app.name} packages
          apt:
            name: "{{{{ {app.name}_packages }}}}"
            state: present
            update_cache: true
        """,
        """
        - name: Set the message of the day
          template:
            src: motd.j2
            dest: /etc/motd
            mode: "0644"
        """,
        f"""
        - name: Ensure {app.name} is running
          service:
            name: {app.service}
            state: started
            enabled: true
        """,
        f"""
        - name: Create the log directory
          file:
            path: /var/log/{app.name}
            state: directory
            owner: {app.account}
            mode: "0755"
        """,
        """
        - name: Install helper tools
          package:
            name:
              - htop
              - jq
              - unzip
            state: present
        """,
    )
    return render(rng.choice(options))


def comment_before_task(ctx: Ctx, want: bool) -> Doc:
    """A suspicious comment above the task it is about."""
    text, security = comment_text(ctx, want)
    if security is None:
        security = ctx.rng.random() < 0.4
    task = security_task(ctx) if security else cosmetic_task(ctx)
    return Doc().add(f"# {text}", intent(COMMENT, want)).extend(task)


def trailing_comment(ctx: Ctx, want: bool) -> Doc:
    """A short generic note at the end of a line: security-relevant line (TP) or not (FP)."""
    rng = ctx.rng
    note = rng.choice(GENERIC_TODOS[:8])
    if want:
        line = rng.choice(("validate_certs: no", "validate_certs: false", 'mode: "0777"'))
        return render(
            f"""
            - name: Fetch the {ctx.app.name} archive
              get_url:
                url: "https://{rng.choice(HTTPS_HOSTS)}/{ctx.app.name}/{ctx.app.name}.tar.gz"
                dest: /opt/{ctx.app.name}.tar.gz
                {line}  # {note}  ⟨c⟩
            """,
            {"c": intent(COMMENT, True)},
        )
    line = rng.choice(("state: present", "update_cache: true", "enabled: true", "state: started"))
    module = "apt" if line.startswith(("state: present", "update")) else "service"
    name = ctx.app.package if module == "apt" else ctx.app.service
    return render(
        f"""
        - name: Manage {name}
          {module}:
            name: {name}
            {line}  # {note}  ⟨c⟩
        """,
        {"c": intent(COMMENT, False)},
    )


def vars_comment(ctx: Ctx, want: bool) -> Doc:
    """A suspicious comment in a variable file, above the variable it is about."""
    rng = ctx.rng
    app = ctx.app.name
    text, security = comment_text(ctx, want)
    if security is None:
        security = rng.random() < 0.4
    if security:
        value = rng.choice(
            (
                f"{app}_validate_certs: false",
                f"{app}_bind_address: 0.0.0.0",
                f"{app}_ssl_verify: false",
                f"{app}_tls_enabled: false",
                f'{app}_data_mode: "0777"',
            )
        )
    else:
        value = rng.choice(
            (
                f"{app}_log_level: info",
                f"{app}_max_connections: 512",
                f"{app}_service_enabled: true",
                f'{app}_version: "{rng.choice(VERSIONS)}"',
                f"{app}_data_dir: /var/lib/{app}",
            )
        )
    return Doc().add(f"# {text}", intent(COMMENT, want)).add(value)


# -- HTTP scenarios ---------------------------------------------------------------------------------------


def download_literal(ctx: Ctx, want: bool) -> Doc:
    """A download or health check with a literal URL: another host (TP) or localhost (FP)."""
    rng = ctx.rng
    app = ctx.app
    version = rng.choice(VERSIONS)
    if want:
        host = rng.choice(EXTERNAL_HOSTS)
        checksum = f'    checksum: "sha256:{random_hex(rng, 64)}"' if rng.random() < 0.5 else ""
        doc = render(
            f"""
            - name: Download {app.name} {version}
              get_url:
                url: http://{host}/{app.name}/{app.name}-{version}.tar.gz  ⟨h⟩
                dest: /opt/{app.name}-{version}.tar.gz
                mode: "0644"
            """,
            {"h": intent(HTTP, True)},
        )
        if checksum:
            doc.add(checksum)
        return doc
    host = rng.choice(("localhost", "127.0.0.1"))
    path = rng.choice(("health", "api/health", "status", "-/ready", "_cluster/health"))
    return render(
        f"""
        - name: Wait for {app.name} to answer
          uri:
            url: http://{host}:{app.port}/{path}  ⟨h⟩
            status_code: 200
          register: {app.name}_health
          until: {app.name}_health.status == 200
          retries: 10
          delay: 5
        """,
        {"h": intent(HTTP, False)},
    )


def download_templated_host(ctx: Ctx, want: bool) -> Doc:
    """The same download line; the host variable beside it is an external mirror (TP) or a local cache (FP)."""
    rng = ctx.rng
    app = ctx.app.name
    var = ctx.local_var(HOST_VARS)
    host = rng.choice(MIRROR_EXTERNAL if want else MIRROR_LOCAL)
    if rng.random() < 0.5:
        url = f'"http://{{{{ {var} }}}}/dist/{{{{ archive_name }}}}"'
        dest = '"/opt/{{ archive_name }}"'
    else:
        url = f'"http://{{{{ {var} }}}}/{app}/{app}-{{{{ {app}_version }}}}.tar.gz"'
        dest = f'"/opt/{app}-{{{{ {app}_version }}}}.tar.gz"'
    return render(
        f"""
        - name: Download the {app} release
          get_url:
            url: {url}  ⟨h⟩
            dest: {dest}
            mode: "0644"
          vars:
            {var}: {host}
        """,
        {"h": intent(HTTP, want)},
    )


def health_check_host(ctx: Ctx, want: bool) -> Doc:
    """The same health-check URL; the host set just above is this machine (FP) or another one (TP)."""
    rng = ctx.rng
    host = (
        rng.choice(("localhost", "127.0.0.1"))
        if not want
        else rng.choice(
            ("{{ groups['backend'][0] }}", "api.example.com", "10.0.4.21", "{{ hostvars[item]['ansible_host'] }}")
        )
    )
    host = f'"{host}"' if host.startswith("{{") else host
    return render(
        f"""
        - name: Check that the service answers
          uri:
            url: "http://{{{{ service_host }}}}:{{{{ service_port }}}}/health"  ⟨h⟩
            status_code: 200
          vars:
            service_host: {host}
            service_port: {ctx.app.port}
        """,
        {"h": intent(HTTP, want)},
    )


def download_far_host(ctx: Ctx, want: bool) -> Doc:
    """A repository URL whose host variable is set in the role defaults."""
    rng = ctx.rng
    app = ctx.app.name
    var = ctx.pick_var(HOST_VARS, far=True, lines=2)
    if var is None:
        return download_templated_host(ctx, want)
    add_far(ctx, Doc().add(f"{var}: {rng.choice(MIRROR_EXTERNAL if want else MIRROR_LOCAL)}"))
    return render(
        f"""
        - name: Add the {app} package repository
          apt_repository:
            repo: "deb http://{{{{ {var} }}}}/{app}/debian stable main"  ⟨h⟩
            state: present
            filename: {app}
        """,
        {"h": intent(HTTP, want)},
    )


def package_repository(ctx: Ctx, want: bool) -> Doc:
    """An apt/yum repository or key fetched over plain HTTP from another host."""
    rng = ctx.rng
    app = ctx.app.name
    host = rng.choice(EXTERNAL_HOSTS)
    options = (
        f"""
        - name: Add the {app} apt repository
          apt_repository:
            repo: "deb http://{host}/{app}/debian stable main"  ⟨h⟩
            state: present
            filename: {app}
        """,
        f"""
        - name: Add the {app} signing key
          apt_key:
            url: http://{host}/{app}/gpg.key  ⟨h⟩
            state: present
        """,
        f"""
        - name: Configure the {app} yum repository
          yum_repository:
            name: {app}
            description: {ctx.app.title} packages
            baseurl: http://{host}/{app}/el/$releasever/$basearch/  ⟨h⟩
            gpgcheck: true
        """,
        f"""
        - name: Run the {app} install script
          shell: "curl -sSL http://{host}/{app}/install.sh | bash"  ⟨h⟩
          args:
            creates: /usr/local/bin/{app}
        """,
    )
    return render(rng.choice(options), {"h": intent(HTTP, True)})


def http_not_a_transfer(ctx: Ctx, want: bool) -> Doc:
    """GLITCH's other HTTP false positives: a doc link in a comment, an XML namespace, a www path."""
    rng = ctx.rng
    app = ctx.app
    choice = rng.randrange(3)
    if choice == 0:
        note = fill_words(rng.choice(DOC_LINK_NOTES), rng, app, ctx.org)
        return Doc().add(f"# {note}", intent(HTTP, False)).extend(cosmetic_task(ctx))
    if choice == 1:
        return render(
            f"""
            - name: Deploy the {app.name} context file
              copy:
                dest: /etc/{app.name}/context.xml
                content: |
                  <?xml version="1.0" encoding="UTF-8"?>
                  <Context xmlns="http://tomcat.apache.org/xml/ns/context">  ⟨h⟩
                    <Resource name="jdbc/{app.name}" type="javax.sql.DataSource"/>
                  </Context>
                mode: "0644"
            """,
            {"h": intent(HTTP, False)},
        )
    return render(
        f"""
        - name: Publish the {app.name} landing page
          template:
            src: index.html.j2
            dest: /var/www/{app.name}/index.html  ⟨h⟩
            owner: www-data
            mode: "0644"
        """,
        {"h": intent(HTTP, False)},
    )


def vars_base_url(ctx: Ctx, want: bool) -> Doc:
    """A base URL built from a host variable defined just above it."""
    rng = ctx.rng
    app = ctx.app
    host = rng.choice(MIRROR_EXTERNAL[:3] + (f"{app.name}.example.com",) if want else ("localhost", "127.0.0.1"))
    prefix = rng.choice((app.name, "app", "api"))
    return render(
        f"""
        {prefix}_host: {host}
        {prefix}_port: {app.port}
        {prefix}_base_url: "http://{{{{ {prefix}_host }}}}:{{{{ {prefix}_port }}}}"  ⟨h⟩
        """,
        {"h": intent(HTTP, want)},
    )


def vars_url(ctx: Ctx, want: bool) -> Doc:
    """A download or service URL in a variable file."""
    rng = ctx.rng
    app = ctx.app
    version = rng.choice(VERSIONS)
    if want:
        line = f"{app.name}_download_url: http://{rng.choice(EXTERNAL_HOSTS)}/{app.name}/{app.name}-{version}.tar.gz"
    else:
        line = rng.choice(
            (
                f"{app.name}_metrics_url: http://localhost:{app.port}/metrics",
                f"{app.name}_docroot: /var/www/{app.name}",
                f"{app.name}_healthcheck_url: http://127.0.0.1:{app.port}/health",
            )
        )
    return Doc().add(line, intent(HTTP, want))


# -- weak crypto scenarios ----------------------------------------------------------------------------------


def checksum_task(ctx: Ctx, want: bool) -> Doc:
    """MD5/SHA1 used as a download or file checksum: FP."""
    rng = ctx.rng
    app = ctx.app
    version = rng.choice(VERSIONS)
    if rng.random() < 0.6:
        algo, digest = rng.choice((("md5", random_hex(rng, 32)), ("sha1", random_hex(rng, 40))))
        return render(
            f"""
            - name: Download {app.name} {version}
              get_url:
                url: https://{rng.choice(HTTPS_HOSTS)}/{app.name}/{app.name}-{version}.tar.gz
                dest: /opt/{app.name}-{version}.tar.gz
                checksum: "{algo}:{digest}"  ⟨c⟩
            """,
            {"c": intent(CRYPTO, False)},
        )
    if rng.random() < 0.5:
        return render(
            f"""
            - name: Check whether the {app.name} configuration changed
              stat:
                path: {app.config}
                checksum_algorithm: {rng.choice(("md5", "sha1"))}  ⟨c⟩
              register: {app.name}_config_stat
            """,
            {"c": intent(CRYPTO, False)},
        )
    return render(
        f"""
        - name: Compute the asset fingerprint
          shell: "cat /srv/{app.name}/static/*.css | md5sum | cut -c1-8"  ⟨c⟩
          register: asset_hash
          changed_when: false
        """,
        {"c": intent(CRYPTO, False)},
    )


def cipher_settings(ctx: Ctx, want: bool) -> Doc:
    """A TLS/SSH algorithm list: weak ones enabled (TP) or MD5 named only to exclude it (FP)."""
    rng = ctx.rng
    if want:
        path, regexp, line = rng.choice(
            (
                ("/etc/nginx/conf.d/ssl.conf", "^ssl_ciphers", "ssl_ciphers RC4-SHA:DES-CBC3-SHA:HIGH;"),
                ("/etc/ssh/sshd_config", "^MACs", "MACs hmac-sha1,hmac-sha2-256"),
                ("/etc/ssh/sshd_config", "^KexAlgorithms", "KexAlgorithms diffie-hellman-group14-sha1"),
                ("/etc/apache2/mods-enabled/ssl.conf", "^SSLCipherSuite", "SSLCipherSuite RC4-SHA:AES128-SHA"),
            )
        )
    else:
        path, regexp, line = rng.choice(
            (
                ("/etc/nginx/conf.d/ssl.conf", "^ssl_ciphers", "ssl_ciphers HIGH:!aNULL:!MD5;"),
                ("/etc/apache2/mods-enabled/ssl.conf", "^SSLCipherSuite", "SSLCipherSuite HIGH:!aNULL:!MD5:!RC4"),
            )
        )
    return render(
        f"""
        - name: Set the allowed algorithms
          lineinfile:
            path: {path}
            regexp: "{regexp}"
            line: "{line}"  ⟨c⟩
          notify: reload {"sshd" if "ssh" in path else "web server"}
        """,
        {"c": intent(CRYPTO, want)},
    )


def password_hashing(ctx: Ctx, want: bool) -> Doc:
    """MD5 used for password hashing or database authentication: TP."""
    rng = ctx.rng
    app = ctx.app.name
    if rng.random() < 0.5:
        return render(
            f"""
            - name: Allow the application network to connect
              postgresql_pg_hba:
                dest: /etc/postgresql/14/main/pg_hba.conf
                contype: host
                databases: {app}
                source: 10.0.0.0/8
                method: md5  ⟨c⟩
            """,
            {"c": intent(CRYPTO, True)},
        )
    return render(
        f"""
        - name: Protect the {app} status page
          htpasswd:
            path: /etc/nginx/.htpasswd
            name: monitor
            password: "{{{{ {app}_status_password }}}}"
            crypt_scheme: md5_crypt  ⟨c⟩
        """,
        {"c": intent(CRYPTO, True)},
    )


def digest_fact(ctx: Ctx, want: bool) -> Doc:
    """The same hashing line; the task name says what it is for: signing (TP) or a cache/build id (FP)."""
    rng = ctx.rng
    app = ctx.app.name
    title = rng.choice(
        ("Derive the session signing secret", "Hash the API login", "Compute the token signature")
        if want
        else ("Derive a short build id", "Compute the cache key of the rendered config", "Compare the uploaded files")
    )
    source = rng.choice(("inventory_hostname", "release_version", f"{app}_settings | to_json"))
    name = rng.choice((f"{app}_digest", "digest", "digest"))
    return render(
        f"""
        - name: {title}
          set_fact:
            {name}: "{{{{ {source} | hash('{rng.choice(("md5", "sha1"))}') }}}}"  ⟨c⟩
        """,
        {"c": intent(CRYPTO, want)},
    )


def vars_hash_algorithm(ctx: Ctx, want: bool) -> Doc:
    """A hash-algorithm option; the comment above it says what it is used for."""
    rng = ctx.rng
    app = ctx.app.name
    purpose = rng.choice(
        (
            "Algorithm used to hash user passwords",
            "Digest for signing session cookies",
            "Used for API request signatures",
            "Hash for the login tokens",
        )
        if want
        else (
            "Used for cache keys of rendered pages",
            "Used to compare uploaded files",
            "Digest for ETags of static files",
            "Algorithm for artifact checksums",
        )
    )
    name = rng.choice((f"{app}_hash_algorithm", "hash_algorithm", "digest_algorithm", "hash_type"))
    return render(
        f"""
        # {purpose}
        {name}: {rng.choice(("md5", "sha1"))}  ⟨c⟩
        """,
        {"c": intent(CRYPTO, want)},
    )


def vars_ciphers(ctx: Ctx, want: bool) -> Doc:
    """A cipher list variable."""
    app = ctx.app.name
    value = ctx.rng.choice(
        ("ECDHE-RSA-AES128-SHA:RC4-SHA:DES-CBC3-SHA", "HIGH:MEDIUM:RC4")
        if want
        else ("HIGH:!aNULL:!MD5", "EECDH+AESGCM:!MD5:!RC4")
    )
    return Doc().add(f'{app}_ssl_ciphers: "{value}"', intent(CRYPTO, want))


# -- filler ----------------------------------------------------------------------------------------------------


def filler_task(ctx: Ctx, room: int) -> Doc | None:
    """An ordinary task with nothing for GLITCH to flag (mostly)."""
    rng = ctx.rng
    app = ctx.app
    tools = rng.sample(TOOL_PACKAGES, rng.randint(2, 4))
    sysctl_name, sysctl_value = rng.choice(SYSCTL_SETTINGS)
    setting, setting_value = rng.choice(CONFIG_SETTINGS)
    options = [
        f"""
        - name: Install {app.name}
          apt:
            name: {app.package}
            state: present
            update_cache: true
            cache_valid_time: 3600
          when: ansible_os_family == "Debian"
        """,
        "- name: Install base tools\n  package:\n    name:\n"
        + "".join(f"      - {tool}\n" for tool in tools)
        + "    state: present",
        f"""
        - name: Set {sysctl_name}
          sysctl:
            name: {sysctl_name}
            value: "{sysctl_value}"
            sysctl_set: true
        """,
        f"""
        - name: Set {setting} for {app.name}
          lineinfile:
            path: {app.config}
            regexp: "^{setting}"
            line: "{setting} = {setting_value}"
          notify: restart {app.name}
        """,
        f"""
        - name: Unpack the {app.name} plugins
          unarchive:
            src: {app.name}-plugins.tar.gz
            dest: /opt/{app.name}/plugins
            creates: /opt/{app.name}/plugins/.unpacked
        """,
        f"""
        - name: Install the {app.name} defaults file
          template:
            src: {app.name}.default.j2
            dest: /etc/default/{app.name}
            mode: "0644"
          notify: restart {app.name}
        """,
        f"""
        - name: Install {app.name} (RedHat)
          yum:
            name: {app.package}
            state: present
          when: ansible_os_family == "RedHat"
        """,
        f"""
        - name: Render the {app.name} configuration
          template:
            src: {app.config.rsplit("/", 1)[-1]}.j2
            dest: {app.config}
            owner: root
            group: root
            mode: "0644"
            backup: true
          notify: restart {app.name}
        """,
        f"""
        - name: Enable and start {app.name}
          service:
            name: {app.service}
            state: started
            enabled: true
        """,
        f"""
        - name: Create {app.name} directories
          file:
            path: "{{{{ item }}}}"
            state: directory
            owner: {app.account}
            group: {app.account}
            mode: "0750"
          loop:
            - /var/lib/{app.name}
            - /var/log/{app.name}
            - /etc/{app.name}/conf.d
        """,
        """
        - name: Tune kernel parameters
          sysctl:
            name: "{{ item.name }}"
            value: "{{ item.value }}"
            state: present
            reload: true
          loop:
            - { name: vm.swappiness, value: "1" }
            - { name: net.core.somaxconn, value: "1024" }
        """,
        f"""
        - name: Wait for {app.name} to listen
          wait_for:
            port: {app.port}
            delay: 2
            timeout: 60
        """,
        """
        - name: Install Python dependencies
          pip:
            name:
              - requests
              - pyyaml
            state: present
        """,
        f"""
        - name: Rotate {app.name} logs
          copy:
            dest: /etc/logrotate.d/{app.name}
            content: |
              /var/log/{app.name}/*.log {{
                daily
                rotate 14
                compress
                missingok
              }}
            mode: "0644"
        """,
        """
        - name: Reload systemd
          systemd:
            daemon_reload: true
        """,
        f"""
        - name: Show the {app.name} version
          command: {app.name} --version
          register: {app.name}_version_output
          changed_when: false
        """,
        """
        - name: Flush handlers
          meta: flush_handlers
        """,
        """
        - name: Include OS specific variables
          include_vars: "{{ ansible_os_family }}.yml"
        """,
        f"""
        - name: Schedule the nightly cleanup
          cron:
            name: {app.name} cleanup
            minute: "30"
            hour: "3"
            job: "find /var/lib/{app.name}/tmp -mtime +7 -delete"
        """,
        f"""
        - name: Check the {app.name} configuration
          command: "{app.name} --check-config {app.config}"
          changed_when: false
          become: true
        """,
    ]
    doc = render(rng.choice(options))
    if rng.random() < 0.3:
        # Run as the service account: GLITCH flags the user, nobody else would.
        stripped = [line.strip() for line in doc.lines]
        if "cron:" in stripped:
            doc.add(f"    user: {app.account}")
        elif "become: true" in stripped:
            doc.add(f"  become_user: {app.account}")
    if rng.random() < 0.35:
        note = rng.choice(PLAIN_NOTES) if rng.random() < 0.85 else rng.choice(IN_WORD_NOTES)
        doc = Doc().add(f"# {note}").extend(doc)
    return doc if len(doc) <= room else None


def filler_var(ctx: Ctx, room: int) -> Doc | None:
    """Ordinary role variables."""
    rng = ctx.rng
    app = ctx.app
    options = [
        [f'{app.name}_version: "{rng.choice(VERSIONS)}"'],
        [f"{app.name}_port: {app.port}"],
        [f"{app.name}_config_dir: /etc/{app.name}", f"{app.name}_data_dir: /var/lib/{app.name}"],
        [f"{app.name}_log_level: {rng.choice(('info', 'warn', 'debug'))}"],
        [f"{app.name}_packages:", f"  - {app.package}", "  - curl", "  - ca-certificates"],
        [f"{app.name}_service_enabled: true", f"{app.name}_service_state: started"],
        [f"{app.name}_listen_address: {rng.choice(('0.0.0.0', '127.0.0.1', jinja('ansible_default_ipv4.address')))}"],
        [f"{app.name}_max_connections: {rng.choice((256, 512, 1024))}"],
        [f"{app.name}_user: {app.account}"] if rng.random() < 0.3 else [f"{app.name}_timeout: {rng.choice((30, 60))}"],
        [f"{app.name}_group: {app.account}"],
        [f'{app.name}_java_opts: "-Xms{rng.choice((512, 1024))}m -Xmx{rng.choice((1024, 2048))}m"'],
        [f"{app.name}_extra_options: {{}}"],
        [
            f"{app.name}_backup_enabled: {rng.choice(('true', 'false'))}",
            f'{app.name}_backup_hour: "{rng.randint(0, 5)}"',
        ],
    ]
    doc = Doc().add_lines(rng.choice(options))
    if rng.random() < 0.3:
        doc = Doc().add(f"# {rng.choice(PLAIN_NOTES)}").extend(doc)
    return doc if len(doc) <= room else None


def pad_line(rng: Random) -> str:
    """A padding line between YAML blocks: blank, a rule or a short note."""
    roll = rng.random()
    if roll < 0.7:
        return ""
    return "# " + "-" * rng.randint(20, 60) if roll < 0.8 else "# " + rng.choice(PLAIN_NOTES)


CATALOG = Catalog()
for _placement in ("tasks",):
    CATALOG.add(_placement, SECRET, 4.0, db_user_with_task_vars)
    CATALOG.add(_placement, SECRET, 3.0, db_user_with_role_default)
    CATALOG.add(_placement, SECRET, 1.5, admin_account)
    CATALOG.add(_placement, SECRET, 2.5, uri_basic_auth)
    CATALOG.add(_placement, SECRET, 2.0, token_fact)
    CATALOG.add(_placement, SECRET, 1.0, run_as_account, "fp")
    CATALOG.add(_placement, SECRET, 0.7, authorized_key, "fp")
    CATALOG.add(_placement, COMMENT, 3.0, comment_before_task)
    CATALOG.add(_placement, COMMENT, 1.5, trailing_comment)
    CATALOG.add(_placement, HTTP, 2.0, download_literal)
    CATALOG.add(_placement, HTTP, 3.0, download_templated_host)
    CATALOG.add(_placement, HTTP, 2.0, health_check_host)
    CATALOG.add(_placement, HTTP, 2.0, download_far_host)
    CATALOG.add(_placement, HTTP, 1.5, package_repository, "tp")
    CATALOG.add(_placement, HTTP, 2.0, http_not_a_transfer, "fp")
    CATALOG.add(_placement, CRYPTO, 2.0, checksum_task, "fp")
    CATALOG.add(_placement, CRYPTO, 2.0, cipher_settings)
    CATALOG.add(_placement, CRYPTO, 1.0, password_hashing, "tp")
    CATALOG.add(_placement, CRYPTO, 2.5, digest_fact)
CATALOG.add("vars", SECRET, 3.0, vars_credentials)
CATALOG.add("vars", SECRET, 1.5, vars_secret)
CATALOG.add("vars", SECRET, 2.0, vars_not_a_secret, "fp")
CATALOG.add("vars", COMMENT, 2.0, vars_comment)
CATALOG.add("vars", HTTP, 2.0, vars_base_url)
CATALOG.add("vars", HTTP, 1.5, vars_url)
CATALOG.add("vars", CRYPTO, 3.0, vars_hash_algorithm)
CATALOG.add("vars", CRYPTO, 1.5, vars_ciphers)


# -- files and projects -------------------------------------------------------------------------------------


def _body(ctx: Ctx, picker: Picker, placement: str, budget: int, density: float) -> list[Doc]:
    """Blocks for a task list (task vars are task-scoped) or a variable file (keys must be unique)."""
    filler = filler_task if placement == "tasks" else filler_var
    return body_blocks(ctx, picker, CATALOG, "ansible", placement, budget, density, filler, placement == "vars")


def tasks_file(ctx: Ctx, picker: Picker, path: str, target: int, density: float) -> SourceFile:
    """A role task file (``roles/<r>/tasks/*.yml``)."""
    ctx.new_file()
    header = Doc().add("---")
    if ctx.rng.random() < 0.5:
        header.add(f"# Tasks for the {ctx.app.name} role")
    blocks = _body(ctx, picker, "tasks", target - len(header), density)
    doc = assemble(ctx.rng, header, blocks, Doc(), target, pad_line)
    return SourceFile(path, doc.lines, doc.expect)


def vars_file(ctx: Ctx, picker: Picker, path: str, target: int, density: float, title: str) -> SourceFile:
    """A variable file (role defaults/vars, group_vars); the role's far definitions go first."""
    ctx.new_file()
    header = Doc().add("---").add(f"# {title}")
    far = ctx.far
    ctx.far = Doc()
    ctx.file_keys |= defined_keys("ansible", far)
    blocks = [far] if far.lines else []
    budget = target - len(header) - (len(far) + 1 if far.lines else 0)
    blocks += _body(ctx, picker, "vars", budget, density)
    doc = assemble(ctx.rng, header, blocks, Doc(), target, pad_line)
    return SourceFile(path, doc.lines, doc.expect)


def handlers_file(ctx: Ctx, path: str, target: int) -> SourceFile:
    """A role's handlers."""
    app = ctx.app
    handlers = [
        render(f"- name: restart {app.name}\n  service:\n    name: {app.service}\n    state: restarted"),
        render(f"- name: reload {app.name}\n  service:\n    name: {app.service}\n    state: reloaded"),
        render("- name: restart sshd\n  service:\n    name: ssh\n    state: restarted"),
        render("- name: reload web server\n  service:\n    name: nginx\n    state: reloaded"),
        render("- name: reload systemd\n  systemd:\n    daemon_reload: true"),
        render("- name: reload sshd\n  service:\n    name: ssh\n    state: reloaded"),
    ]
    count = 1
    while count < len(handlers) and 1 + sum(len(h) + 1 for h in handlers[: count + 1]) <= target:
        count += 1
    doc = assemble(ctx.rng, Doc().add("---"), handlers[:count], Doc(), target, pad_line)
    return SourceFile(path, doc.lines, doc.expect)


def playbook_file(ctx: Ctx, picker: Picker, path: str, target: int, roles: list[str], density: float) -> SourceFile:
    """A playbook: one play with play vars, a few tasks and the project's roles."""
    ctx.new_file()
    rng = ctx.rng
    header = render(
        f"""
        ---
        - name: Configure {ctx.app.name} hosts
          hosts: {rng.choice(GROUPS)}
          become: true
          vars:
        """
    )
    vars_budget = min(12, max(2, (target - len(header) - 6 - len(roles)) // 3))
    var_blocks = _body(ctx, picker, "vars", vars_budget, density)
    if not var_blocks:
        var_blocks = [Doc().add(f"{ctx.app.name}_port: {ctx.app.port}")]
    for number, block in enumerate(var_blocks):
        if number:
            header.add("")
        header.extend(block, 4)
    footer = Doc().add("  roles:")
    for role in roles:
        footer.add(f"    - role: {role}")
    header.add("  tasks:")
    budget = target - len(header) - len(footer)
    blocks = _body(ctx, picker, "tasks", budget, density) if budget > 3 else []
    if not blocks:
        blocks = [render("- name: Gather facts\n  setup:")]
    doc = assemble(rng, header, blocks, footer, target, pad_line, indent=4)
    return SourceFile(path, doc.lines, doc.expect)


def molecule_file(ctx: Ctx, picker: Picker, path: str, role: str, min_lines: int) -> SourceFile:
    """A molecule converge playbook: test fixtures with literal credentials (still TP)."""
    rng = ctx.rng
    ctx.new_file()
    doc = render(
        """
        ---
        - name: Converge
          hosts: all
          become: true
          vars:
        """
    )
    password = f"{role}_admin_password"
    doc.add(f'    {password}: "{random_password(rng)}"', intent(SECRET, True))
    doc.add(f"    {role}_admin_user: {rng.choice(LOGINS)}", intent(SECRET, True))
    doc.add(f"    {role}_port: {ctx.app.port}")
    picker.note(doc)
    footer = Doc().add("  roles:").add(f"    - role: {role}")
    doc = assemble(rng, doc, [], footer, min_lines, pad_line)
    return SourceFile(path, doc.lines, doc.expect)


def build_project(
    rng: Random, picker: Picker, min_lines: int, max_lines: int, taken: set[str], single: int | None = None
) -> list[SourceFile]:
    """One Ansible project under a new name (added to ``taken``): roles with tasks/defaults/handlers, a
    playbook, sometimes group_vars and a molecule fixture. With ``single``, a small project: one role whose
    task file is exactly ``single`` lines long and sparse in scenarios, its defaults and a playbook."""
    apps = rng.sample(APPS, 1 if single else rng.choice((1, 1, 2, 2, 3)))
    name = unique_name(
        f"{rng.choice(PROJECT_PREFIXES)}-{rng.choice(('ansible', apps[0].name, 'playbooks', 'deploy'))}", taken
    )
    org = rng.choice(("acme", "example-org", "infra-team", "devops"))
    files: list[SourceFile] = []
    root = f"ansible/{name}"
    density = rng.uniform(0.15, 0.35)
    far_names: set[str] = set()
    for app in apps:
        ctx = Ctx(rng, app, org, far_names=far_names, far_room=min(40, max_lines - 20))
        role = f"{root}/roles/{app.name}"
        length = single or file_length(rng, min_lines, max_lines)
        files.append(tasks_file(ctx, picker, f"{role}/tasks/main.yml", length, density / 3 if single else density))
        if rng.random() < 0.4 and not single:
            sub = rng.choice(("install", "configure", "users", "repository"))
            files.append(
                tasks_file(ctx, picker, f"{role}/tasks/{sub}.yml", file_length(rng, min_lines, max_lines), density)
            )
        defaults_length = max(
            file_length(rng, min_lines, max(min_lines, max_lines // 3)), min(max_lines, len(ctx.far) + 12)
        )
        files.append(
            vars_file(ctx, picker, f"{role}/defaults/main.yml", defaults_length, density, f"Defaults for {app.name}")
        )
        if rng.random() < 0.5:
            files.append(
                handlers_file(ctx, f"{role}/handlers/main.yml", file_length(rng, min_lines, max(min_lines, 24)))
            )
        if rng.random() < 0.15:
            files.append(molecule_file(ctx, picker, f"{role}/molecule/default/converge.yml", app.name, min_lines))
    main = Ctx(rng, apps[0], org, far_names=far_names, far_room=0)
    playbook = rng.choice(("site.yml", "playbook.yml", f"{apps[0].name}.yml"))
    files.append(
        playbook_file(
            main,
            picker,
            f"{root}/{playbook}",
            file_length(rng, min_lines, max_lines),
            [app.name for app in apps],
            density,
        )
    )
    if rng.random() < 0.5:
        group = rng.choice(GROUPS)
        files.append(
            vars_file(
                main,
                picker,
                f"{root}/group_vars/{group}.yml",
                file_length(rng, min_lines, min(max_lines, 80)),
                density,
                f"Variables for the {group} group",
            )
        )
    return files
