"""A small team checkout for `iacsieve label`: Ansible, Chef and Puppet files in a git repository with one
commit, and GLITCH's --csv output on it (exact GLITCH format: bare commas, codes, descriptions)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from iacsieve.data.glitch import GLITCH_HEADER
from iacsieve.smells import glitch_description

ANSIBLE = """---
- name: set up the database
  hosts: db
  vars:
    db_user: admin
    db_password: "s3cr3t-{n}"
    key_buffer_size: 64M
    # TODO: move the password to the vault
    mirror_url: http://mirror.example.org/pkg-{n}.tgz
    ssl_key: /etc/ssl/private/db.key
    # prefix for every table
    api_secret: "abc123{n}"
  tasks:
    - name: install packages
      apt:
        name: postgresql
        state: present
    - name: download the checksum tool
      get_url:
        url: http://downloads.example.org/tool.tar.gz
        checksum: md5:0123456789abcdef
        dest: /tmp/tool.tar.gz
"""
CHEF = """# Cookbook:: web
# Recipe:: default
package 'nginx'

# FIXME: this workaround breaks on restart
template '/etc/nginx/nginx.conf' do
  source 'nginx.conf.erb'
  variables(
    admin_password: 'hunter2',
    upstream: 'http://backend.internal:8080'
  )
end

user 'deploy' do
  password 'changeme'
end
"""
PUPPET = """# Class: profile::mysql
class profile::mysql (
  $root_password = 'p4ssw0rd',
  $repo_url      = 'http://repo.example.com/mysql',
  $digest        = 'sha1',
) {
  # HACK: the service needs a second restart
  package { 'mysql-server': ensure => present }
  file { '/etc/mysql/my.cnf':
    owner   => 'root',
    content => template('profile/my.cnf.erb'),
  }
}
"""
#: (path, line, GLITCH code): 16 rows of the four trained smells, and one GLITCH reports that is not trained on.
ROWS = [
    ("ansible/roles/db/tasks/main.yml", 5, "sec_hard_user"),
    ("ansible/roles/db/tasks/main.yml", 6, "sec_hard_pass"),
    ("ansible/roles/db/tasks/main.yml", 7, "sec_hard_secr"),
    ("ansible/roles/db/tasks/main.yml", 8, "sec_susp_comm"),
    ("ansible/roles/db/tasks/main.yml", 9, "sec_https"),
    ("ansible/roles/db/tasks/main.yml", 10, "sec_hard_secr"),
    ("ansible/roles/db/tasks/main.yml", 11, "sec_susp_comm"),
    ("ansible/roles/db/tasks/main.yml", 12, "sec_hard_secr"),
    ("ansible/roles/db/tasks/main.yml", 20, "sec_https"),
    ("ansible/roles/db/tasks/main.yml", 21, "sec_weak_crypt"),
    ("chef/web/recipes/default.rb", 5, "sec_susp_comm"),
    ("chef/web/recipes/default.rb", 9, "sec_hard_pass"),
    ("chef/web/recipes/default.rb", 10, "sec_https"),
    ("chef/web/recipes/default.rb", 15, "sec_hard_pass"),
    ("puppet/manifests/mysql.pp", 3, "sec_hard_pass"),
    ("puppet/manifests/mysql.pp", 4, "sec_https"),
    ("puppet/manifests/mysql.pp", 5, "sec_weak_crypt"),
    ("puppet/manifests/mysql.pp", 7, "sec_susp_comm"),
    ("puppet/manifests/mysql.pp", 10, "sec_def_admin"),
]
TRAINED_ROWS = len(ROWS) - 1


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def write_checkout(root: Path, n: int = 1) -> tuple[Path, Path]:
    """The checkout ``root/team`` (committed; ``n`` varies the file contents) and ``root/glitch.csv``.
    Returns (scripts folder, CSV)."""
    repo = root / "team"
    files = {"ansible/roles/db/tasks/main.yml": ANSIBLE.format(n=n), "chef/web/recipes/default.rb": CHEF,
             "puppet/manifests/mysql.pp": PUPPET}
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "remote", "add", "origin", "git@github.com:acme/infra.git")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "infra")
    rows = []
    for path, line, code in ROWS:
        snippet = files[path].splitlines()[line - 1].strip()
        rows.append(f"{path},{line},{code},{glitch_description(code)},{snippet}\n")
    csv = root / "glitch.csv"
    csv.write_text(GLITCH_HEADER + "\n" + "".join(rows))
    return repo, csv
