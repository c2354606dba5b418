"""Ansible shapes: role defaults and vars, tasks, plays (molecule, tests, examples) and CI workflows.

A line starting ``»`` is one GLITCH flags: ``»U+`` a TP, ``»U-`` an FP of the code ``U`` (see
``tables.CODE_OF``), then one space, then the line. Shapes without a mark are plain code around them.
"""

FILES = (
    # (share of projects that have it, path, layout); a layout slot is @@pool:indent:weight@@
    (1.0, "defaults/main.yml", "---\n@@doc:0:1@@\n@@vars:0:6@@"),
    (1.0, "tasks/main.yml", "---\n@@tasks:0:4@@"),
    (0.7, "tasks/%step%.yml", "---\n@@doc:0:1@@\n@@tasks:0:5@@"),
    (0.5, "vars/%os%.yml", "---\n@@vars:0:2@@"),
    (0.6, "handlers/main.yml", "---\n@@handlers:0:1@@"),
    (0.5, "molecule/default/converge.yml",
     "---\n- name: Converge\n  hosts: all\n@@play:2:1@@\n  vars:\n@@vars:4:4@@\n  roles:\n    - role: %app%\n"),
    (0.3, "molecule/default/molecule.yml",
     "---\ndependency:\n  name: galaxy\ndriver:\n  name: docker\nplatforms:\n  - name: instance\n"
     "    image: %cloud%:latest\nprovisioner:\n  name: ansible\n  inventory:\n    host_vars:\n      instance:\n"
     "@@vars:8:3@@\nverifier:\n  name: ansible\n"),
    (0.35, "molecule/default/verify.yml",
     "---\n- name: Verify\n  hosts: all\n  gather_facts: false\n  tasks:\n@@tasks:4:3@@"),
    (0.35, "tests/test.yml",
     "---\n- hosts: localhost\n@@play:2:1@@\n  vars:\n@@vars:4:2@@\n  tasks:\n@@tasks:4:2@@"),
    (0.25, "examples/playbook.yml",
     "---\n@@doc:0:1@@\n- name: Example deployment of %app%\n  hosts: %app%_servers\n@@play:2:1@@\n  vars:\n"
     "@@vars:4:3@@\n  roles:\n    - %app%\n"),
    (0.35, ".github/workflows/ci.yml", "---\n@@workflow:0:1@@"),
    (0.2, ".github/stale.yml", "---\n@@stale:0:1@@"),
    (0.25, "inventory/group_vars/all.yml", "---\n@@doc:0:1@@\n@@vars:0:3@@"),
)
STEPS = ("install", "configure", "repository", "service", "users", "tls", "backup", "firewall", "database")

SHAPES: dict[str, list[tuple[float, str]]] = {
    "doc": [
        (3, "# %note%\n# %note_2%\n#\n# %note_3%\n"),
        (2, "# %App% role defaults\n# ====================\n#\n# %note%\n# %note_2%\n"),
        (2, "# %note%\n»C- # %fpnote%\n# %note_2%\n"),
        (1, "#\n# %note%\n»C- # %fpnote%\n»C- # %fpnote_2%\n#\n"),
        (1, "# %note%\n»C+ # %tpnote%\n"),
        (1, "»C+ # TODO: split this file per distribution,\n»C+ #       the %os% values are only a quick fix.\n"),
        (1, "# Licensed under the Apache License, Version 2.0 (the \"License\");\n# you may not use this file except"
            " in compliance with the License.\n# You may obtain a copy of the License at\n#\n#"
            "     https://www.apache.org/licenses/LICENSE-2.0\n#\n"),
    ],
    "vars": [
        # plain settings
        (6, "# %note%\n%app%_%setting%: %port%\n"),
        (5, "%app%_version: \"%ver%\"\n%app%_install_dir: /opt/%app%\n%app%_config_dir: /etc/%app%\n"),
        (4, "%app%_service_enabled: true\n%app%_service_state: started\n%app%_%word%_count: 3\n"),
        (3, "# %note%\n%app%_packages:\n  - %app%\n  - %app%-tools\n  - python3-%word%\n"),
        (3, "%app%_listen_address: \"{{ ansible_default_ipv4.address }}\"\n%app%_port: %port%\n"),
        (2, "%app%_extra_options: {}\n%app%_%word%_hosts: []\n%app%_log_level: info\n"),
        (2, "# %note%\n%app%_data_dir: /var/lib/%app%\n%app%_log_dir: /var/log/%app%\n"),
        # secrets that GLITCH does not report: variables, lookups, vault, empty
        (4, "%app%_db_password: \"{{ vault_%app%_db_password }}\"\n%app%_db_name: %app%\n"),
        (3, "%app%_admin_password: \"{{ lookup('env', '%APP%_ADMIN_PASSWORD') }}\"\n"),
        (2, "%app%_api_token: \"{{ lookup('hashi_vault', 'secret=kv/%app%:token') }}\"\n"),
        (2, "%app%_secret_key: \"{{ %app%_generated_secret | default(omit) }}\"\n"),
        (2, "# Set in the inventory; never commit a real value.\n%app%_db_password: \"{{ %app%_vault.db }}\"\n"),
        # hard-coded passwords: literal values are TP, also in tests and examples
        (6, "# %note%\n»P+ %app%_admin_password: \"%pw%\"\n"),
        (5, "%app%_db_name: %app%\n»U- %app%_db_user: %svc%\n»P+ %app%_db_password: %pwx%\n"),
        (3, "»P+ %app%_root_password: %pw%\n"),
        (2, "»P+ %app%_%word%_pass: '%pw%'\n"),
        (2, "# Pre-hashed password of the service account.\n»P+ %app%_user_password: '%hash%'\n"),
        (1, "%app%_mail_relay: smtp.%org%.com\n»P+ %app%_smtp_password: %pw%\n"),
        # locked-account markers and fields that only look like a password
        (1, "# '*' locks the account.\n»P- %app%_system_password: '*'\n"),
        (1, "»P- %app%_mount_passno: '0'\n"),
        # secrets: literal tokens and keys are TP
        (4, "»S+ %app%_api_token: \"%tok%\"\n"),
        (3, "»S+ %app%_secret: '%tok%'\n"),
        (2, "»S+ %app%_license_key: '%hex%'\n"),
        (2, "»S+ %app%_access_key: '%fpr%'\n»S+ %app%_secret_key: '%b64%'\n"),
        (1, "»S+ %app%_cookie_token: '%tok%'\n"),
        # secrets: names that contain key/cert/secret/token but hold no credential
        (6, "# %note%\n»S- %app%_ssl_key: /etc/ssl/private/%app%.key\n»S- %app%_ssl_cert: /etc/ssl/certs/%app%.crt\n"),
        (4, "»S- %app%_tls_cert_path: /etc/%app%/tls\n»S- %app%_tls_key_file: %app%.key\n"),
        (3, "# Fingerprint of the repository signing key.\n»S- %app%_gpg_key: %fpr%\n"),
        (3, "»S- %app%_repo_key: https://%host%/keys/%app%.asc\n%app%_repo_url: https://%host%/%dist%\n"),
        (3, "»S- %app%_key_usage:\n  - digitalSignature\n  - keyEncipherment\n"),
        (3, "»S- %app%_api_token: \"\"\n»S- %app%_client_secret: ''\n"),
        (2, "»S- %app%_key_type: rsa\n%app%_key_size: 4096\n"),
        (2, "»S- %app%_encrypt: 'yes'\n"),
        (2, "»S- %app%_ssh_key_algorithms:\n  - ssh-ed25519\n  - ecdsa-sha2-nistp256\n"),
        (1, "»S- %app%_ssl_certificate: \"/etc/%app%/ssl/%app%.pem\"\n»S- %app%_cacert_secret: ''\n"),
        # user names: privileged logins are TP, per-service accounts and paths are FP
        (5, "»U- %app%_user: %svc%\n%app%_group: %svc%\n"),
        (4, "# Account the %app% daemon runs as.\n»U- %app%_service_user: %svc%\n%app%_service_group: %svc%\n"),
        (3, "»U- %app%_db_username: %svc%\n»P+ %app%_db_userpass: %pwx%\n"),
        (3, "»U- %app%_doc_root: /var/lib/%app%/html\n"),
        (2, "»U- %app%_download_root: /tmp/%app%-download\n"),
        (2, "»U- %app%_owner_user: root\n%app%_owner_group: root\n%app%_config_mode: \"0640\"\n"),
        (2, "»U- %app%_smtp_username: \"\"\n"),
        (2, "»U- %app%_monitoring_user: %svc%\n%app%_monitoring_privileges: USAGE\n"),
        (1, "»U- ssh_permit_root_login: without-password\n"),
        (1, "# Users allowed to connect over ssh (sshd AllowUsers).\n»U- %app%_allow_login: %svc%\n"),
        (4, "»U+ %app%_admin_user: %priv%\n»P+ %app%_admin_password: %pw%\n"),
        (3, "»U+ %app%_superuser_username: admin\n%app%_superuser_email: admin@%org%.com\n"),
        (2, "»U+ %app%_api_username: %priv%\n"),
        (2, "»U+ %app%_login: %priv%\n»P+ %app%_login_pass: %pw%\n"),
        (2, "»U+ ansible_user: %cloud%\nansible_become: true\n"),
        (1, "»U+ %app%_db_admin_user: postgres\n"),
        # weak crypto
        (2, "# Message authentication codes offered by sshd.\n»W+ %app%_ssh_macs:\n  - hmac-sha1\n"
            "  - hmac-sha2-256\n"),
        (2, "»W+ %app%_auth_method: md5\n"),
        (1, "»W+ %app%_password_hash: sha1\n"),
        (1, "»W+ %app%_ciphers: \"RC4-MD5:DES-CBC3-SHA:ECDHE-RSA-AES128-SHA\"\n"),
        (2, "»W- %app%_crypto_policy: \"DEFAULT:NO-SHA1\"\n"),
        (2, "»W- %app%_ssl_ciphers: \"HIGH:!aNULL:!MD5\"\n"),
        (1, "»W- %app%_dev_sha1: \"{{ lookup('env', 'CI_COMMIT_SHA1') }}\"\n"),
        (1, "%app%_archive_checksum: \"md5:%hex%\"\n"),
        (1, "»W- %app%_kex: '-diffie-hellman-group1-sha1,curve25519-sha256'\n"),
        # plain http
        (4, "# %note%\n»H+ %app%_download_url: http://%host%/%app%/%app%-%ver%.tar.gz\n"),
        (3, "»H+ %app%_mirror: http://%host%\n"),
        (3, "»H+ %app%_apt_repository: \"deb http://%host%/debian {{ ansible_distribution_release }} main\"\n"),
        (2, "»H+ %app%_api_url: \"http://{{ %app%_server_host }}:%port%/api\"\n%app%_server_host: %host%\n"),
        (1, "»H+ %app%_status_url: http://%host%:%port%/status\n"),
        (2, "»H- %app%_listen_url: \"http://0.0.0.0:%port%/\"\n"),
        (2, "»H- %app%_publish_uri: \"http://{{ ansible_default_ipv4.address }}:%port%/\"\n"),
        (1, "%app%_bind_host: 127.0.0.1\n»H- %app%_local_url: \"http://{{ %app%_bind_host }}:%port%\"\n"),
        (1, "# Forward proxy used for outgoing requests.\n»H- %app%_http_proxy: http://proxy.%org%.com:3128\n"),
        (1, "%app%_health_url: http://localhost:%port%/health\n%app%_metrics_url: http://127.0.0.1:%port%/metrics\n"),
        (1, "»H- %app%_web_dir: \"/var/www/{{ %app%_site_name }}\"\n"),
        # comments between settings
        (4, "»C- # %fpnote%\n%app%_%setting%: %port%\n"),
        (2, "»C- # %app%_%word%_prefix: %app%\n"),
        (2, "»C+ # %tpnote%\n%app%_%setting%: %port%\n"),
        (1, "»C+ # TODO: the %word% setting is ignored on %os%,\n»C+ # revisit later when upstream has a fix.\n"),
    ],
    "tasks": [
        (6, "- name: Install %app% packages\n  ansible.builtin.package:\n    name: \"{{ %app%_packages }}\"\n"
            "    state: present\n"),
        (5, "- name: Template the %app% configuration\n  ansible.builtin.template:\n    src: %app%.conf.j2\n"
            "    dest: \"{{ %app%_config_dir }}/%app%.conf\"\n    mode: \"0644\"\n  notify: Restart %app%\n"),
        (4, "- name: Ensure %app% is running\n  ansible.builtin.service:\n    name: %app%\n    state: started\n"
            "    enabled: true\n"),
        (3, "- name: Create the data directory\n  ansible.builtin.file:\n    path: \"{{ %app%_data_dir }}\"\n"
            "    state: directory\n    mode: \"0750\"\n"),
        (3, "- name: Wait for the %word% port\n  ansible.builtin.wait_for:\n    port: %port%\n    timeout: 60\n"),
        (2, "# %note%\n- name: Include the %os% tasks\n  ansible.builtin.include_tasks: \"{{ ansible_os_family }}.yml\"\n"),
        (2, "- name: Set sysctl values\n  ansible.posix.sysctl:\n    name: \"{{ item.name }}\"\n"
            "    value: \"{{ item.value }}\"\n  loop: \"{{ %app%_sysctl }}\"\n"),
        (3, "- name: Create the %app% database account\n  community.mysql.mysql_user:\n"
            "    name: \"{{ %app%_db_user }}\"\n    password: \"{{ %app%_db_password }}\"\n    priv: \"%app%.*:ALL\"\n"),
        (2, "- name: Add the %app% group\n  ansible.builtin.group:\n    name: \"{{ %app%_group }}\"\n    system: true\n"),
        # users
        (3, "- name: Create the %app% system account\n  ansible.builtin.user:\n    name: %svc%\n    system: true\n"
            "    shell: /usr/sbin/nologin\n"),
        (3, "- name: Run the %app% migration\n  ansible.builtin.command: /opt/%app%/bin/migrate\n"
            "  become: true\n»U+   become_user: root\n  changed_when: false\n"),
        (2, "- name: Build the %app% index\n  ansible.builtin.command: /opt/%app%/bin/reindex\n"
            "  become: true\n»U-   become_user: %svc%\n"),
        (2, "- name: Allow only key logins for the service account\n  ansible.builtin.blockinfile:\n"
            "    path: /etc/ssh/sshd_config\n    block: |\n      Match User %svc%\n        PasswordAuthentication no\n"),
        (2, "- name: Grant %svc% access to its database\n  community.postgresql.postgresql_user:\n"
            "    db: %app%\n»U-     user: %svc%\n    priv: ALL\n"),
        (2, "- name: Create the superuser\n  community.mysql.mysql_user:\n»U+     login_user: root\n"
            "    login_password: \"{{ mysql_root_password }}\"\n    name: %app%_admin\n    priv: \"*.*:ALL,GRANT\"\n"),
        # literal credentials in tasks
        (3, "- name: Create the %app% admin account\n  %app%_user:\n»U+     username: %priv%\n"
            "»P+     password: %pw%\n    state: present\n"),
        (2, "- name: Log in to the registry\n  community.docker.docker_login:\n    registry_url: registry.%org%.com\n"
            "»U-     username: %svc%\n»P+     password: \"%pw%\"\n"),
        (2, "- name: Lock the %svc% account\n  ansible.builtin.user:\n    name: %svc%\n»P-     password: '!'\n"),
        (2, "- name: Configure the API client\n  ansible.builtin.uri:\n    url: \"https://%host%/api/login\"\n"
            "    method: POST\n    body_format: json\n    body:\n»S+       token: '%tok%'\n"),
        (2, "- name: Add the repository key\n  ansible.builtin.rpm_key:\n"
            "»S-     key: https://%host%/RPM-GPG-KEY-%app%\n    state: present\n"),
        (2, "- name: Add the apt signing key\n  ansible.builtin.apt_key:\n    id: %fpr%\n"
            "    url: https://%host%/gpg\n"),
        (1, "- name: Read a group entry\n  ansible.builtin.getent:\n    database: group\n»S-     key: %svc%\n"),
        # http in tasks
        (3, "- name: Download %app%\n  ansible.builtin.get_url:\n»H+     url: http://%host%/releases/%app%-%ver%.tar.gz\n"
            "    dest: /tmp/%app%.tar.gz\n    checksum: \"sha256:%hex%\"\n"),
        (2, "- name: Add the %app% repository\n  ansible.builtin.apt_repository:\n"
            "»H+     repo: \"deb http://%host%/ubuntu {{ ansible_distribution_release }} main\"\n    state: present\n"),
        (2, "- name: Remove the old %app% repository\n  ansible.builtin.apt_repository:\n"
            "»H-     repo: \"deb http://%host%/old {{ ansible_distribution_release }} main\"\n    state: absent\n"),
        (2, "- name: Add the %app% yum repository\n  ansible.builtin.yum_repository:\n    name: %app%\n"
            "    description: %App% packages\n»H+     baseurl: http://%host%/el/$releasever/\n    gpgcheck: true\n"),
        (2, "- name: Check that the %app% API answers\n  ansible.builtin.uri:\n"
            "»H-     url: \"http://{{ inventory_hostname }}:%port%/health\"\n    status_code: 200\n"),
        (1, "- name: Check the local endpoint\n  ansible.builtin.uri:\n    url: http://localhost:%port%/status\n"),
        (1, "- name: Deploy the index page\n  ansible.builtin.copy:\n    src: index.html\n"
            "»H-     dest: \"/var/www/{{ %app%_site }}/index.html\"\n"),
        # weak crypto in tasks
        (2, "- name: Set the grub password\n  ansible.builtin.lineinfile:\n    path: /etc/grub.d/40_custom\n"
            "»W+     regexp: '^password --md5 .*'\n»W+     line: \"password --md5 {{ %app%_grub_hash }}\"\n"),
        (2, "- name: Allow password logins from the %word% network\n  community.postgresql.postgresql_pg_hba:\n"
            "    dest: /etc/postgresql/pg_hba.conf\n    contype: host\n»W+     method: md5\n"),
        (1, "- name: Disable weak signatures\n  ansible.builtin.command: update-crypto-policies --set DEFAULT\n"
            "  args:\n»W-     creates: /etc/crypto-policies/policies/modules/NO-SHA1.pmod\n"),
        (1, "- name: Use a strong hash for shadow passwords\n  ansible.builtin.replace:\n    path: /etc/pam.d/common-password\n"
            "»W-     regexp: '(md5|sha256|blowfish)'\n    replace: yescrypt\n"),
        # comments on tasks
        (4, "»C- # %fpnote%\n- name: Install the %word% helper\n  ansible.builtin.package:\n    name: %app%-%word%\n"),
        (3, "»C+ # %tpnote%\n- name: Restart %app% twice\n  ansible.builtin.service:\n    name: %app%\n"
            "    state: restarted\n"),
        (2, "»C+ # FIXME: ignore_errors hides real failures here\n- name: Reload %app%\n  ansible.builtin.command: "
            "%app%ctl reload\n  ignore_errors: true\n"),
        (2, "- name: Show the generated settings\n  ansible.builtin.debug:\n    var: %app%_settings\n"),
        (1, "# - name: Print the result\n»C- #   ansible.builtin.debug:\n#     var: result\n"),
        (1, "»C+ # TODO: the next task fails on %os%, so it is disabled for now\n»C+ # - name: Store debug outputs\n"
            "#   ansible.builtin.copy:\n#     dest: /tmp/out\n"),
    ],
    "handlers": [
        (4, "- name: Restart %app%\n  ansible.builtin.service:\n    name: %app%\n    state: restarted\n"),
        (2, "- name: Reload %app%\n  ansible.builtin.service:\n    name: %app%\n    state: reloaded\n"),
        (1, "»C- # handlers file for %app% (postfix relay)\n"),
        (1, "»C+ # %tpnote%\n- name: Restart %app% %word%\n  ansible.builtin.service:\n    name: %app%-%word%\n"
            "    state: restarted\n"),
    ],
    "play": [
        (5, "become: true\ngather_facts: true\n"),
        (3, "»U+ remote_user: root\n"),
        (2, "»U+ remote_user: %cloud%\nbecome: true\n"),
        (2, "become: true\n»U- become_user: %svc%\n"),
        (1, "»U+ become_user: root\nbecome: true\n"),
    ],
    "workflow": [
        (3, "name: CI\n\"on\":\n  push:\n    branches: [main]\n  pull_request:\n\npermissions:\n  contents: read\n"
            "»S-   id-token: write\n\njobs:\n  molecule:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
            "        distro: [debian12, ubuntu2204, rockylinux9]\n    steps:\n      - uses: actions/checkout@v4\n"
            "      - name: Set up Python\n        uses: actions/setup-python@v5\n        with:\n"
            "          python-version: \"3.12\"\n      - name: Install test dependencies\n"
            "        run: pip3 install ansible molecule molecule-plugins[docker]\n"
            "»C+       # TODO: re-enable the lint job once it passes again\n      - name: Run Molecule tests\n"
            "        run: molecule test\n        env:\n          PY_COLORS: \"1\"\n"
            "          MOLECULE_DISTRO: ${{ matrix.distro }}\n"),
        (3, "»C- # This workflow warns and then closes issues and PRs that have had no activity.\n#\n"
            "# You can adjust the behavior by modifying this file.\n"
            "name: Mark stale issues and pull requests\n\"on\":\n  schedule:\n    - cron: '30 1 * * *'\n\njobs:\n"
            "  stale:\n    runs-on: ubuntu-latest\n    permissions:\n      issues: write\n"
            "      pull-requests: write\n    steps:\n      - uses: actions/stale@v9\n        with:\n"
            "          stale-issue-message: 'This issue is stale because it has been open 30 days.'\n"
            "          days-before-stale: 30\n"),
        (2, "name: Release\n\"on\":\n  push:\n    tags: ['*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n      - name: Publish the role\n"
            "        run: ansible-galaxy role import --token \"$GALAXY_TOKEN\" %org% %app%\n"
            "        env:\n          GALAXY_TOKEN: ${{ secrets.GALAXY_API_KEY }}\n"),
    ],
    "stale": [
        (1, "»C- # Number of days of inactivity before an issue becomes stale\ndaysUntilStale: 60\n"
            "»C- # Number of days of inactivity before a stale issue is closed\ndaysUntilClose: 7\n"
            "»C- # Issues with these labels will never be considered stale\nexemptLabels:\n  - pinned\n  - security\n"
            "»C- # Label to use when marking an issue as stale\nstaleLabel: wontfix\n"
            "»C- # Comment to post when marking an issue as stale. Set to `false` to disable\nmarkComment: >\n"
            "  This has been marked stale because it has not had recent activity.\n"
            "»C- # Comment to post when closing a stale issue. Set to `false` to disable\ncloseComment: false\n"),
    ],
}
