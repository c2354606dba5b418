"""Puppet shapes: documented classes with parameter lists, params classes, defined types and resources.

GLITCH is run on ``manifests/`` only, as on real modules. Marks as in ``shapes_ansible``.
"""

FILES = (
    (1.0, "manifests/init.pp",
     "@@head:0:1@@\n#\n@@pdoc:0:3@@\n#\n# @example\n#   include %app%\n#\nclass %app% (\n@@params:2:3@@\n)"
     " inherits %app%::params {\n@@body:2:3@@\n}\n"),
    (0.8, "manifests/params.pp",
     "# @summary Default values of the %app% module.\n#\n# @api private\n#\nclass %app%::params {\n@@pvars:2:4@@\n\n"
     "  case $facts['os']['family'] {\n    'Debian': {\n      $package_name = '%app%'\n    }\n    default: {\n"
     "      $package_name = '%app%-server'\n    }\n  }\n}\n"),
    (0.9, "manifests/%step%.pp",
     "@@head:0:1@@\n#\nclass %app%::%step% {\n@@body:2:4@@\n}\n"),
    (0.5, "manifests/%step%.pp",
     "# @summary Manages one %app% %step% entry.\n#\n@@pdoc:0:2@@\n#\ndefine %app%::%step% (\n@@params:2:2@@\n)"
     " {\n@@body:2:3@@\n}\n"),
    (0.3, "manifests/profile/%step%.pp",
     "@@head:0:1@@\nclass %app%::profile::%step% (\n@@params:2:1@@\n) {\n@@body:2:2@@\n}\n"),
)
STEPS = ("install", "config", "service", "repo", "user", "database", "vhost", "plugin", "backup", "instance")

SHAPES: dict[str, list[tuple[float, str]]] = {
    "head": [
        (3, "# @summary Installs and configures %app%.\n#\n# %note%\n# %note_2%\n"),
        (2, "# == Class: %app%\n#\n# %note%\n#\n# === Parameters\n"),
        (1, "# @summary %note%\n#\n»C+ # %tpnote%\n"),
        (1, "# @summary %note%\n#\n»C- # %fpnote%\n"),
        (1, "# Copyright %org%.\n#\n# Licensed under the Apache License, Version 2.0 (the \"License\"); you may\n"
            "# not use this file except in compliance with the License.\n"),
    ],
    "pdoc": [
        (6, "# @param %setting%\n#   %note%\n"),
        (4, "# @param package_ensure\n#   Whether to install the %app% package, and which version.\n"),
        (3, "# [*%setting%*]\n#   (Optional) %note%\n#   Defaults to $::os_service_default.\n#\n"),
        (3, "»C- # @param log_prefix\n»C- #   %fpnote%\n"),
        (3, "»C- # [*%word%_prefix*]\n#   (Optional) %note%\n#   Defaults to undef.\n#\n"),
        (3, "»C- # @param debug\n»C- #   Should the daemons log debug messages.\n"),
        (2, "# @param %setting%\n»C- #   %fpnote%\n"),
        (2, "»C- # [*debug*]\n»C- #   (Optional) Should the daemons log debug messages\n#   Defaults to false.\n#\n"),
        (2, "»C- # @param ticket_salt\n»C- #   Salt used for the %app% API tickets of the agents.\n"),
        (1, "»C- # @param %word%_suffix\n#   %note%\n"),
        (2, "# @param %setting%\n»C+ #   %tpnote%\n"),
        (1, "# @param manage_repo\n»C+ #   FIXME: should be a boolean, strings are kept for compatibility.\n"),
        (1, "# @param service_provider\n#   The service provider to use.\n»C+ #   TODO: drop it later when systemd is the only one.\n"),
    ],
    "params": [
        (6, "String $package_ensure = 'present',\nBoolean $service_manage = true,\n"),
        (5, "Stdlib::Port $port = %port%,\nStdlib::Absolutepath $config_dir = '/etc/%app%',\n"),
        (3, "Optional[String] $%setting% = undef,\n"),
        (3, "String $package_name = $%app%::params::package_name,\n"),
        (3, "Optional[String[1]] $db_password = undef,\nString $db_host = 'db.%org%.internal',\n"),
        (2, "Sensitive[String] $api_secret = Sensitive(lookup('%app%::api_secret')),\n"),
        (1, "Boolean $manage_user = true,\n"),
        # flagged
        (5, "»U- String $user = '%svc%',\nString $group = '%svc%',\n"),
        (4, "»U- Optional[String] $user = undef,\n"),
        (2, "»U- $docroot = '/var/www/%app%',\n"),
        (2, "»U- String $%app%_user = '%svc%',\n"),
        (3, "»U+ String $admin_user = '%priv%',\n»P+ String $admin_password = '%pw%',\n"),
        (2, "»U+ String $api_user = 'admin',\n"),
        (1, "»U+ String $default_user = 'guest',\n»P+ String $default_pass = 'guest',\n"),
        (3, "»P+ String $password = '%pwx%',\n"),
        (1, "»P- String $proxy_password = 'absent',\n"),
        (3, "»S- Stdlib::Absolutepath $ssl_key = '/etc/ssl/private/%app%.key',\n"
            "»S- Stdlib::Absolutepath $ssl_cert = '/etc/ssl/certs/%app%.pem',\n"),
        (2, "»S- String $user_ssh_authorized_key_type = 'ssh-rsa',\n"),
        (2, "»S- String $key_val_separator = ': ',\n"),
        (2, "»S- String $%app%_signing_key = 'https://%host%/keys/signing.asc',\n"),
        (1, "»S- $extension_key = 'extension',\n"),
        (2, "»S+ String $api_key = 'your_API_key',\n"),
        (1, "»S+ $secret = '%b64%',\n"),
        (3, "»H+ Stdlib::HTTPUrl $repo_url = 'http://%host%/%app%',\n"),
        (2, "»H+ String $download_url = 'http://%host%/releases/%app%-%ver%.tar.gz',\n"),
        (2, "String $bind_host = '127.0.0.1',\n»H- String $api_url = \"http://${bind_host}:%port%\",\n"),
        (1, "»H- String $public_url = \"http://${facts['networking']['fqdn']}/%app%\",\n"),
        (2, "»W- String $ssl_ciphers = 'HIGH:!aNULL:!MD5',\n"),
        (1, "»W+ String $ssl_cipher = 'ECDHE-RSA-AES128-SHA:RC4-SHA:DES-CBC3-SHA:arcfour',\n"),
        (1, "»W+ Enum['md5', 'scram-sha-256'] $password_encryption = 'md5',\n"),
    ],
    "pvars": [
        (6, "$%setting% = %port%\n"),
        (4, "$service_name = '%app%'\n$config_file = '/etc/%app%/%app%.conf'\n"),
        (2, "$manage_repo = true\n$repo_location = 'https://%host%/apt'\n"),
        (4, "»U- $user = '%svc%'\n$group = '%svc%'\n"),
        (2, "»U- $agent_%app%_user = '%svc%'\n"),
        (2, "»U- $server_allowroot = '0'\n"),
        (2, "»U+ $username = '%priv%'\n»P+ $password = '%pw%'\n"),
        (2, "»S- $gpg_key = '%fpr%'\n"),
        (1, "»S+ $admin_token = 'random_uuid'\n"),
        (2, "»H+ $%app%_ext = 'http://%host%/misc/%app%-ext-%ver%.zip'\n"),
        (1, "$health_url = 'http://localhost:%port%/health'\n"),
        (1, "»W+ $auth_method = 'md5'\n"),
        (2, "»C- # %fpnote%\n$%setting%_%word% = '%word%'\n"),
        (2, "»C+ # %tpnote%\n$%setting%_%word% = '%word%'\n"),
    ],
    "body": [
        (6, "package { '%app%':\n  ensure => $package_ensure,\n}\n"),
        (5, "file { '/etc/%app%/%app%.conf':\n  ensure  => file,\n  owner   => 'root',\n  group   => 'root',\n"
            "  mode    => '0644',\n  content => template('%app%/%app%.conf.erb'),\n  notify  => Service['%app%'],\n}\n"),
        (4, "service { '%app%':\n  ensure => running,\n  enable => true,\n}\n"),
        (3, "file { $config_dir:\n  ensure => directory,\n  mode   => '0750',\n}\n"),
        (2, "# %note%\ncontain %app%::install\n"),
        (2, "user { $user:\n  ensure => present,\n  system => true,\n  shell  => '/usr/sbin/nologin',\n}\n"),
        (2, "mysql::db { '%app%':\n  user     => $user,\n  password => $db_password,\n  host     => 'localhost',\n}\n"),
        # flagged
        (4, "exec { '%app%-init':\n  command => '/opt/%app%/bin/init',\n»U+   user    => 'root',\n"
            "  creates => '/var/lib/%app%/.initialised',\n}\n"),
        (3, "exec { '%app%-reindex':\n  command => '/opt/%app%/bin/reindex',\n»U-   user    => '%svc%',\n"
            "  refreshonly => true,\n}\n"),
        (2, "mysql::db { '%app%_%word%':\n»U-   user     => '%svc%',\n»P+   password => '%pw%',\n"
            "  grant    => ['SELECT', 'INSERT', 'UPDATE'],\n}\n"),
        (2, "rabbitmq_user { 'guest':\n  admin    => true,\n»P+   password => 'guest',\n}\n"),
        (2, "postgresql::server::pg_hba_rule { 'allow %app%':\n  type        => 'host',\n  database    => '%app%',\n"
            "»U-   user        => '%svc%',\n  address     => '10.0.0.0/8',\n»W+   auth_method => 'md5',\n}\n"),
        (2, "ssh_authorized_key { '%svc%':\n  ensure => present,\n  type   => 'ssh-rsa',\n"
            "»S-   key    => 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC%b64%',\n}\n"),
        (2, "ini_setting { '%app% %keyname%':\n  path    => '/etc/%app%/%app%.ini',\n  section => 'main',\n"
            "»S-   key     => '%keyname%',\n  value   => 'on',\n}\n"),
        (1, "user { 'root':\n  ensure   => present,\n»P-   password => '*',\n}\n"),
        (3, "apt::source { '%app%':\n»H+   location => 'http://%host%/apt',\n  release  => $facts['os']['distro']['codename'],\n"
            "  repos    => 'main',\n}\n"),
        (2, "yumrepo { '%app%':\n»H+   baseurl  => 'http://%host%/el/$releasever/$basearch',\n  gpgcheck => 1,\n"
            "  gpgkey   => 'https://%host%/gpg',\n}\n"),
        (2, "archive { '/tmp/%app%.tar.gz':\n»H+   source        => \"http://%host%/%app%/%app%-${version}.tar.gz\",\n"
            "  checksum_type => 'sha1',\n  extract       => true,\n}\n"),
        (1, "apt::source { '%app%-local':\n  location => 'http://127.0.0.1/mirror',\n  repos    => 'main',\n}\n"),
        (1, "%app%::plugin { 'proxy':\n»H-   url => \"http://${listen_address}:%port%/\",\n}\n"),
        (2, "»W- $home_sha = sha1($config_dir)\nconcat { \"/etc/%app%/${home_sha}.conf\":\n  ensure => present,\n}\n"),
        (1, "»W+ $mangled = md5(\"${name}:${realm}:${password}\")\n"),
        (1, "sshd_config { 'MACs':\n  ensure => present,\n»W+   value  => 'hmac-sha1,umac-64@openssh.com,hmac-sha2-256',\n}\n"),
        (1, "»W- $cache_key = md5($facts['networking']['fqdn'])\n"),
        (4, "»C- # %fpnote%\nfile { '/var/lib/%app%/%word%':\n  ensure => directory,\n}\n"),
        (3, "»C+ # %tpnote%\nexec { '%app%-%word%-restart':\n  command     => '/bin/systemctl restart %app%',\n"
            "  refreshonly => true,\n}\n"),
        (1, "»C+ # TODO: Implement the uninstall for apt and rpm installs\n»C+ # (see the issue tracker)\n"
            "if $package_ensure == 'absent' {\n  warning('%app%: uninstall is not supported')\n}\n"),
    ],
}
