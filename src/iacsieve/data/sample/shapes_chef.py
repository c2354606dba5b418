"""Chef shapes: attributes, recipes, custom resources, ChefSpec and InSpec tests, test fixture cookbooks.

Marks as in ``shapes_ansible``: ``»U+ `` starts a line GLITCH flags (code letter, TP ``+`` or FP ``-``).
"""

FILES = (
    (1.0, "attributes/default.rb", "@@doc:0:1@@\n@@attrs:0:6@@"),
    (0.4, "attributes/%step%.rb", "@@doc:0:1@@\n@@attrs:0:3@@"),
    (1.0, "recipes/default.rb", "@@head:0:1@@\n@@recipe:0:5@@"),
    (0.7, "recipes/%step%.rb", "@@head:0:1@@\n@@recipe:0:4@@"),
    (0.35, "resources/%step%.rb", "@@doc:0:1@@\nunified_mode true\n\n@@props:0:1@@\n\naction :create do\n"
     "@@recipe:2:3@@\nend\n"),
    (0.3, "libraries/helpers.rb", "@@doc:0:1@@\nmodule %App%Cookbook\n  module Helpers\n@@lib:4:3@@\n  end\nend\n"),
    (0.5, "spec/unit/recipes/%step%_spec.rb",
     "require 'spec_helper'\n\ndescribe '%app%::%step%' do\n@@spec_head:2:1@@\n@@spec:2:3@@\nend\n"),
    (0.45, "test/integration/default/default_test.rb", "@@doc:0:1@@\n@@inspec:0:3@@"),
    (0.4, "test/fixtures/cookbooks/test/recipes/%step%.rb", "@@head:0:1@@\n@@recipe:0:3@@"),
    (0.5, "metadata.rb", "name '%app%'\nmaintainer '%org%'\nlicense 'Apache-2.0'\ndescription 'Installs and configures "
     "%app%'\nversion '%ver%'\nchef_version '>= 16'\n@@doc:0:1@@\nsupports 'ubuntu'\nsupports 'centos'\n"),
)
STEPS = ("install", "config", "repository", "service", "server", "client", "users", "backup", "ssl", "source")

SHAPES: dict[str, list[tuple[float, str]]] = {
    "doc": [
        (3, "#\n# Cookbook:: %app%\n# Attributes:: default\n#\n# Copyright:: %org%\n#\n"
            "# Licensed under the Apache License, Version 2.0 (the \"License\");\n"
            "# you may not use this file except in compliance with the License.\n#\n"),
        (2, "# %note%\n# %note_2%\n"),
        (1, "# %note%\n»C- # %fpnote%\n"),
        (1, "»C+ # %tpnote%\n# %note%\n"),
    ],
    "head": [
        (3, "#\n# Cookbook:: %app%\n# Recipe:: default\n#\n# Copyright:: %org%\n#\n\n"
            "include_recipe '%app%::repository'\n"),
        (2, "# %note%\n# %note_2%\n"),
        (1, "#\n# Cookbook:: %app%\n#\n»C+ # %tpnote%\n#\n"),
        (1, "# %note%\n»C- # %fpnote%\n"),
    ],
    "attrs": [
        (6, "# %note%\ndefault['%app%']['%setting%'] = %port%\n"),
        (5, "default['%app%']['version'] = '%ver%'\ndefault['%app%']['install_dir'] = '/opt/%app%'\n"
            "default['%app%']['conf_dir'] = '/etc/%app%'\n"),
        (3, "default['%app%']['packages'] = %w(%app% %app%-tools)\ndefault['%app%']['%word%']['enabled'] = true\n"),
        (3, "default['%app%']['listen_address'] = node['ipaddress']\ndefault['%app%']['port'] = %port%\n"),
        (2, "default['%app%']['%word%']['hosts'] = []\ndefault['%app%']['log_level'] = 'info'\n"),
        (3, "default['%app%']['db']['password'] = nil\ndefault['%app%']['db']['name'] = '%app%'\n"),
        (2, "# Read from the encrypted data bag at converge time.\ndefault['%app%']['secret_item'] = '%app%_secrets'\n"),
        # passwords
        (6, "# %note%\n»P+ default['%app%']['admin_password'] = '%pw%'\n"),
        (4, "»U- default['%app%']['db']['user'] = '%svc%'\n»P+ default['%app%']['db']['password'] = '%pwx%'\n"),
        (2, "»P+ default['%app%']['keystore_password'] = 'changeit'\n"),
        (1, "»P- default['%app%']['nscd']['passwd'] = 'no'\n"),
        # secrets
        (2, "»S+ default['%app%']['api_token'] = '%tok%'\n"),
        (1, "»S+ default['%app%']['secret'] = '%b64%'\n"),
        (3, "»S- default['%app%']['ssl_key'] = '/etc/ssl/private/%app%.key'\n"
            "»S- default['%app%']['ssl_cert'] = '/etc/ssl/certs/%app%.pem'\n"),
        (2, "»S- default['%app%']['repository_key'] = 'https://%host%/gpg.key'\n"),
        (1, "»S- default['%app%']['apt_key'] = '%fpr%'\n"),
        # users
        (5, "»U- default['%app%']['user'] = '%svc%'\ndefault['%app%']['group'] = '%svc%'\n"),
        (3, "»U- default['%app%']['service_user'] = '%svc%'\n"),
        (2, "»U- default['%app%']['doc_root'] = '/var/www/%app%'\n"),
        (2, "»U- default['%app%']['artifacts']['ROOT']['type'] = 'war'\n"),
        (2, "»U- default['%app%']['keystone']['roles']['admin'] = 'admin'\n"),
        (3, "»U+ default['%app%']['admin_user'] = '%priv%'\n»P+ default['%app%']['admin_pass'] = '%pw%'\n"),
        (2, "# The compile step runs as root.\n»U+ default['%app%']['build_user'] = 'root'\n"),
        (1, "»U+ default['%app%']['debian_username'] = 'debian-sys-maint'\n"),
        # http
        (6, "# %note%\n»H+ default['%app%']['url'] = 'http://%host%/%app%/%app%-%ver%.tar.gz'\n"),
        (4, "»H+ default['%app%']['mirrorlist'] = 'http://%host%/mirrorlist?repo=%app%-%dist%'\n"),
        (3, "»H+ default['%app%']['repo']['uri'] = 'http://%host%/ubuntu'\n"
            "default['%app%']['repo']['components'] = %w(main)\n"),
        (2, "»H+ default['%app%']['gpgkey'] = 'http://%host%/RPM-GPG-KEY-%app%'\n"),
        (1, "»H- default['%app%']['public_url'] = 'http://0.0.0.0:%port%/'\n"),
        (1, "»H- default['%app%']['cgiurl'] = 'http://some.url/%app%.cgi'\n"),
        (1, "default['%app%']['health_url'] = 'http://localhost:%port%/health'\n"),
        # weak crypto
        (2, "»W+ default['%app%']['auth_method'] = 'md5'\n"),
        (1, "»W+ default['%app%']['ssh']['macs'] = 'hmac-sha1,hmac-sha2-256'\n"),
        (1, "»W- default['%app%']['ssl_ciphers'] = 'HIGH:!aNULL:!MD5'\n"),
        (1, "default['%app%']['checksum'] = '%hex%'\n"),
        # comments
        (4, "»C- # %fpnote%\ndefault['%app%']['%word%']['%setting%'] = %port%\n"),
        (3, "»C+ # %tpnote%\ndefault['%app%']['%word%']['%setting%'] = %port%\n"),
        (1, "»C+ # FIXME No longer needed once every node runs chef-client 18\n"
            "default['%app%']['%word%']['compat'] = true\n"),
    ],
    "recipe": [
        (6, "package '%app%' do\n  version node['%app%']['version']\n  action :install\nend\n"),
        (5, "template \"#{node['%app%']['conf_dir']}/%app%.conf\" do\n  source '%app%.conf.erb'\n  owner 'root'\n"
            "  group 'root'\n  mode '0644'\n  notifies :restart, 'service[%app%]', :delayed\nend\n"),
        (4, "service '%app%' do\n  supports restart: true, status: true\n  action [:enable, :start]\nend\n"),
        (3, "directory node['%app%']['data_dir'] do\n  owner node['%app%']['user']\n  mode '0750'\n"
            "  recursive true\nend\n"),
        (2, "# %note%\ninclude_recipe '%app%::%word%'\n"),
        (2, "secrets = data_bag_item('%app%', 'credentials')\n\ntemplate '/etc/%app%/db.yml' do\n"
            "  source 'db.yml.erb'\n  variables(password: secrets['password'])\n  sensitive true\nend\n"),
        # users
        (4, "user '%svc%' do\n  system true\n  shell '/bin/false'\nend\n"),
        (3, "execute '%app%-migrate' do\n  command '/opt/%app%/bin/migrate'\n»U+   user 'root'\n"
            "  not_if { ::File.exist?('/opt/%app%/.migrated') }\nend\n"),
        (3, "execute '%app%-reindex' do\n  command '/opt/%app%/bin/reindex'\n»U-   user '%svc%'\n"
            "  cwd '/opt/%app%'\nend\n"),
        (2, "bash 'compile %app%' do\n  cwd '/usr/local/src/%app%'\n»U+   user 'root'\n"
            "  code './configure && make && make install'\nend\n"),
        (2, "postgresql_access '%svc% access' do\n  access_type 'host'\n  access_db '%app%'\n»U-   user '%svc%'\n"
            "  access_addr '10.0.0.0/8'\n  access_method 'scram-sha-256'\nend\n"),
        # passwords and secrets
        (3, "postgresql_user '%svc%' do\n»P+   unencrypted_password '%pw%'\n  createdb true\nend\n"),
        (2, "%app%_admin 'default' do\n»U+   username '%priv%'\n»P+   password '%pw%'\nend\n"),
        (2, "%app%_credentials 'ci' do\n»S+   token '%tok%'\nend\n"),
        (2, "apt_repository '%app%' do\n  uri 'https://%host%/apt'\n  components ['main']\n"
            "»S-   key 'https://%host%/gpg'\nend\n"),
        # http
        (5, "remote_file \"#{Chef::Config[:file_cache_path]}/%app%.tar.gz\" do\n"
            "»H+   source 'http://%host%/%app%/%app%-%ver%.tar.gz'\n  mode '0644'\nend\n"),
        (3, "remote_file '/tmp/%app%.pem' do\n»H+   source \"http://%host%/certs/#{node['%app%']['ca_file']}\"\nend\n"),
        (3, "apt_repository '%app%-legacy' do\n»H+   uri 'http://%host%/debian'\n  distribution node['lsb']['codename']\n"
            "  components ['main']\nend\n"),
        (2, "yum_repository '%app%' do\n»H+   baseurl 'http://%host%/el/$releasever/$basearch'\n"
            "  gpgcheck true\nend\n"),
        (1, "»H+ pgp_uri = 'http://%host%/pub/repos/apt'\n"),
        (1, "http_request 'notify %app%' do\n  url \"http://#{node['%app%']['host']}:%port%/reload\"\nend\n"),
        (1, "http_request 'local %app%' do\n  url 'http://localhost:%port%/reload'\nend\n"),
        # weak crypto
        (2, "execute 'hash %app% guest password' do\n»W+   command \"%app%ctl passwd --hash md5 guest\"\n"
            "  user '%svc%'\nend\n".replace("  user '%svc%'", "»U-   user '%svc%'")),
        (1, "»W- local_md5 = Digest::MD5.file(cached).hexdigest\n"),
        # comments
        (4, "»C- # %fpnote%\npackage '%app%-%word%'\n"),
        (4, "»C+ # %tpnote%\nservice '%app%-%word%' do\n  action :restart\nend\n"),
        (2, "»C+ # TODO: - reuse the existing attributes here\ninclude_recipe '%app%::%word%'\n"),
    ],
    "props": [
        (3, "property :instance_name, String, name_property: true\nproperty :version, String, default: '%ver%'\n"
            "property :port, Integer, default: %port%\n"),
        (1, "property :password, String, sensitive: true\nproperty :config_dir, String, default: '/etc/%app%'\n"),
    ],
    "lib": [
        (3, "def %app%_conf_dir\n  node['%app%']['conf_dir']\nend\n"),
        (2, "def %word%_enabled?\n  node['%app%']['%word%']['enabled'] == true\nend\n"),
        (1, "»C+ # %tpnote%\ndef %app%_version\n  node['%app%']['version'].to_s\nend\n"),
        (1, "»C- # %fpnote%\ndef %app%_%word%_name\n  \"%app%-#{node['hostname']}\"\nend\n"),
        (1, "def %app%_digest(path)\n»W-   local_md5 = Digest::MD5.hexdigest(::File.read(path))\n  local_md5\nend\n"),
    ],
    "spec_head": [
        (1, "let(:chef_run) do\n  ChefSpec::SoloRunner.new(platform: 'ubuntu', version: '22.04') do |node|\n"
            "    node.normal['%app%']['port'] = %port%\n  end.converge(described_recipe)\nend\n"),
        (1, "let(:chef_run) do\n  ChefSpec::SoloRunner.new do |node|\n"
            "»P+     node.normal['%app%']['admin_password'] = '%pw%'\n  end.converge(described_recipe)\nend\n"),
        (1, "let(:chef_run) do\n  ChefSpec::SoloRunner.new do |node|\n"
            "»S+     node.normal['%app%']['password_secret'] = '%tok%'\n  end.converge(described_recipe)\nend\n"),
    ],
    "spec": [
        (4, "it 'installs the %app% package' do\n  expect(chef_run).to install_package('%app%')\nend\n"),
        (3, "it 'starts the service' do\n  expect(chef_run).to start_service('%app%')\nend\n"),
        (2, "it 'renders the configuration' do\n  expect(chef_run).to render_file('/etc/%app%/%app%.conf')\nend\n"),
        (2, "it 'creates the service account' do\n  expect(chef_run).to create_user('%svc%')\nend\n"),
        (1, "»C+ # %tpnote%\nit 'converges' do\n  expect { chef_run }.to_not raise_error\nend\n"),
        (1, "»C- # %fpnote%\nit 'enables the %word%' do\n  expect(chef_run).to enable_service('%app%-%word%')\nend\n"),
        (1, "it 'uploads with a token' do\n  stub_command('%app%ctl status').and_return(true)\n"
            "  expect(chef_run).to run_execute('%app%-upload').with(\n»S+     token: 'token_password'\n  )\nend\n"),
    ],
    "inspec": [
        (4, "describe package('%app%') do\n  it { should be_installed }\nend\n"),
        (3, "describe service('%app%') do\n  it { should be_enabled }\n  it { should be_running }\nend\n"),
        (3, "describe port(%port%) do\n  it { should be_listening }\nend\n"),
        (2, "describe file('/etc/%app%/%app%.conf') do\n  its('mode') { should cmp '0644' }\nend\n"),
        (2, "describe http('http://localhost:%port%/status') do\n  its('status') { should cmp 200 }\nend\n"),
        (1, "»C+ # TODO: - should be the FQDN, but /etc/hosts is not set up yet\n"
            "describe command('hostname') do\n  its('exit_status') { should eq 0 }\nend\n"),
        (1, "»C- # %fpnote%\ndescribe user('%svc%') do\n  it { should exist }\nend\n"),
    ],
}
