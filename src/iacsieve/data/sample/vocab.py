"""Word pools shared by the three generators: applications, hosts, credentials and comment texts.

Comment pools are grouped by how the oracle reads them (see ``oracle.py``); the generators pick from a pool
knowing the label it leads to, and the tests check that oracle and intent agree.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from random import Random

from iacsieve.data.sample.detector import HTTP_URL, WEAK_CRYPTO, suspicious_comment


@dataclass(frozen=True)
class App:
    """An application a project installs: package, service, port, service account, main config file."""

    name: str
    package: str
    service: str
    port: int
    account: str
    config: str

    @property
    def title(self) -> str:
        """Display name (``Elasticsearch``)."""
        return self.name.capitalize()


APPS: tuple[App, ...] = (
    App("nginx", "nginx", "nginx", 80, "www-data", "/etc/nginx/nginx.conf"),
    App("mysql", "mysql-server", "mysql", 3306, "mysql", "/etc/mysql/my.cnf"),
    App("postgresql", "postgresql", "postgresql", 5432, "postgres", "/etc/postgresql/14/main/postgresql.conf"),
    App("redis", "redis-server", "redis-server", 6379, "redis", "/etc/redis/redis.conf"),
    App("rabbitmq", "rabbitmq-server", "rabbitmq-server", 5672, "rabbitmq", "/etc/rabbitmq/rabbitmq.conf"),
    App("jenkins", "jenkins", "jenkins", 8080, "jenkins", "/etc/default/jenkins"),
    App("grafana", "grafana", "grafana-server", 3000, "grafana", "/etc/grafana/grafana.ini"),
    App("prometheus", "prometheus", "prometheus", 9090, "prometheus", "/etc/prometheus/prometheus.yml"),
    App(
        "elasticsearch", "elasticsearch", "elasticsearch", 9200, "elasticsearch", "/etc/elasticsearch/elasticsearch.yml"
    ),
    App("tomcat", "tomcat9", "tomcat9", 8080, "tomcat", "/etc/tomcat9/server.xml"),
    App("haproxy", "haproxy", "haproxy", 8404, "haproxy", "/etc/haproxy/haproxy.cfg"),
    App("memcached", "memcached", "memcached", 11211, "memcache", "/etc/memcached.conf"),
    App("gitlab", "gitlab-ce", "gitlab-runsvdir", 80, "git", "/etc/gitlab/gitlab.rb"),
    App("keycloak", "keycloak", "keycloak", 8080, "keycloak", "/opt/keycloak/conf/keycloak.conf"),
    App("wordpress", "wordpress", "apache2", 80, "www-data", "/etc/wordpress/config-default.php"),
    App("zookeeper", "zookeeper", "zookeeper", 2181, "zookeeper", "/etc/zookeeper/conf/zoo.cfg"),
    App("kafka", "kafka", "kafka", 9092, "kafka", "/etc/kafka/server.properties"),
    App("nexus", "nexus", "nexus", 8081, "nexus", "/opt/nexus/etc/nexus.properties"),
    App("sonarqube", "sonarqube", "sonarqube", 9000, "sonar", "/opt/sonarqube/conf/sonar.properties"),
    App("mongodb", "mongodb-org", "mongod", 27017, "mongodb", "/etc/mongod.conf"),
    App("consul", "consul", "consul", 8500, "consul", "/etc/consul.d/consul.hcl"),
    App("minio", "minio", "minio", 9000, "minio-user", "/etc/default/minio"),
)

PROJECT_PREFIXES: tuple[str, ...] = (
    "infra",
    "ops",
    "platform",
    "deploy",
    "site",
    "stack",
    "cluster",
    "provision",
    "acme",
    "shop",
    "billing",
    "analytics",
    "intranet",
    "backoffice",
    "ci",
    "edge",
    "payments",
    "search",
    "media",
    "portal",
)
ORGS: tuple[str, ...] = ("acme", "example-org", "infra-team", "devops", "platform-eng", "webops")
GROUPS: tuple[str, ...] = ("all", "webservers", "dbservers", "app", "monitoring", "workers", "backend", "frontend")

EXTERNAL_HOSTS: tuple[str, ...] = (
    "archive.ubuntu.com",
    "mirror.centos.org",
    "repo.mysql.com",
    "apt.postgresql.org",
    "packages.elastic.co",
    "downloads.apache.org",
    "ppa.launchpad.net",
    "pkg.jenkins.io",
    "dl.grafana.com",
    "deb.nodesource.com",
    "yum.puppetlabs.com",
    "packages.chef.io",
    "repo.zabbix.com",
    "download.docker.com",
    "mirror.example.org",
    "artifacts.example.net",
    "get.example.io",
    "files.example.com",
)
MIRROR_EXTERNAL: tuple[str, ...] = (
    "mirror.example.org",
    "repo.internal.example.com",
    "10.0.12.5",
    "artifacts.example.net:8081",
    "pkgs.example.com",
    "192.168.10.20",
)
MIRROR_LOCAL: tuple[str, ...] = ("localhost", "127.0.0.1", "localhost:8081", "127.0.0.1:3142")
HOST_VARS: tuple[str, ...] = ("mirror_host", "repo_host", "download_host", "artifact_host", "package_mirror")
HTTPS_HOSTS: tuple[str, ...] = ("github.com", "releases.example.com", "downloads.example.org", "objects.example.net")

PASSWORD_VARS: tuple[str, ...] = (
    "db_password",
    "admin_password",
    "mysql_root_password",
    "app_db_password",
    "postgres_password",
    "redis_password",
    "rabbitmq_password",
    "smtp_password",
    "ldap_bind_password",
    "keystore_password",
)
TOKEN_VARS: tuple[str, ...] = (
    "api_token",
    "secret_key",
    "auth_token",
    "app_secret_key",
    "jwt_secret",
    "github_token",
    "slack_token",
    "registration_token",
    "aws_secret_access_key",
)
LOGINS: tuple[str, ...] = ("admin", "root", "deploy", "app", "administrator", "dbadmin", "ops")
HUMAN_PASSWORDS: tuple[str, ...] = (
    "Summer2019!",
    "P@ssw0rd",
    "admin123",
    "ilikerandompasswords",
    "Welcome1",
    "s3cr3t",
    "hunter2",
    "Passw0rd!",
    "letmein",
    "qwerty123",
    "toor",
    "mysecret",
    "Secret123",
    "app_pw_2020",
    "Tr0ub4dor&3",
    "correcthorse",
    "password1",
    "Spring2021",
    "rootroot",
    "Zx9!kLm2Qp",
)
TOOL_PACKAGES: tuple[str, ...] = (
    "htop",
    "jq",
    "unzip",
    "curl",
    "git",
    "vim",
    "rsync",
    "tmux",
    "lsof",
    "strace",
    "tcpdump",
    "net-tools",
    "python3-pip",
    "logrotate",
    "chrony",
    "acl",
    "tree",
    "bzip2",
    "zip",
    "sysstat",
    "iotop",
    "dnsutils",
)
SYSCTL_SETTINGS: tuple[tuple[str, str], ...] = (
    ("vm.swappiness", "1"),
    ("net.core.somaxconn", "1024"),
    ("fs.file-max", "100000"),
    ("vm.max_map_count", "262144"),
    ("net.ipv4.tcp_fin_timeout", "15"),
    ("vm.dirty_ratio", "10"),
    ("net.core.netdev_max_backlog", "5000"),
    ("fs.inotify.max_user_watches", "524288"),
)
CONFIG_SETTINGS: tuple[tuple[str, str], ...] = (
    ("max_connections", "512"),
    ("log_format", "json"),
    ("worker_processes", "4"),
    ("timeout", "60"),
    ("cache_size", "256"),
    ("log_rotate_days", "14"),
    ("thread_pool", "16"),
    ("keepalive", "65"),
    ("locale", "en_US.UTF-8"),
    ("timezone", "UTC"),
)
VERSIONS: tuple[str, ...] = ("1.2.3", "2.4.1", "3.0.7", "0.9.12", "5.1.0", "7.17.9", "2.11.4", "1.18.0", "4.2.2")

# Comment pools; the texts follow the oracle's reading (see oracle.py).
SECURITY_TODOS: tuple[str, ...] = (
    "TODO: move this password to the vault",
    "TODO: rotate these credentials before go-live",
    "FIXME: validate certificates once the internal CA is trusted",
    "TODO: restrict file permissions",
    "FIXME: do not run this as root",
    "TODO: enable TLS on this listener",
    "XXX: token is shared between environments",
    "TODO: use https for the mirror",
    "FIXME: the secret key is the same on every host",
    "TODO: tighten the firewall rules",
    "HACK: SELinux stays permissive for now",
    "TODO: stop exposing the admin port",
    "FIXME: sudo rule is too broad",
    "TODO: encrypt this file",
    "XXX: login is not rate-limited",
    "TODO: verify the signature of the download",
)
ADMITTED_PROBLEMS: tuple[str, ...] = (
    "HACK: restart twice, the service does not come up on first boot",
    "FIXME: this breaks on Debian 12",
    "Workaround for a bug in the package postinst, remove when fixed upstream",
    "XXX: flaky on slow disks, retries added",
    "TODO: the package postinst fails without this",
    "FIXME: race with the systemd unit, sleep a bit",
    "BUG: handler ordering is wrong here",
    "HACK: pin the version, newer releases crash on start",
    "TODO: temporary pin until upstream releases a proper release",
)
COSMETIC_TODOS: tuple[str, ...] = (
    "TODO: sort this list alphabetically",
    "TODO: add more packages here as needed",
    "TODO: rename this task",
    "FIXME: typo in the task name",
    "TODO: fix indentation",
    "TODO: document the variables of this role",
    "XXX: naming is inconsistent with the other roles",
    "TODO: translate the motd message",
    "TODO: tidy up these defaults",
    "TODO: nicer formatting of the output",
)
GENERIC_TODOS: tuple[str, ...] = (
    "TODO: revisit",
    "TODO: revisit this",
    "FIXME: revisit",
    "TODO: check this",
    "XXX: review",
    "TODO: clean this up",
    "TODO",
    "FIXME",
    "XXX",
    "TODO: make this configurable",
    "TODO: double-check",
    "TODO(ops): review",
    "FIXME: needs another look",
)
IN_WORD_NOTES: tuple[str, ...] = (
    "Enable debug logging",
    "Set the log prefix",
    "Append the domain suffix",
    "Resolve the hostname of the primary first",
    "Install debugging symbols",
    "Debug output for troubleshooting",
    "Prefix used for all resource names",
    "The resolver configuration",
    "Fixtures for the integration tests",
    "Set up the ticketing system integration",
    "Applied later by the handler",
    "Fix permissions on the data directory",
    "Restart later if the config changed",
    "Bump the debug level on staging only",
)
TRACKER_NOTES: tuple[str, ...] = (
    "TODO: see https://github.com/«org»/«repo»/issues/«n»",
    "Upstream bug: https://bugs.launchpad.net/ubuntu/+source/«pkg»/+bug/«n»",
    "FIXME: https://jira.example.com/browse/OPS-«n»",
    "Known issue, tracked in https://github.com/«org»/«repo»/issues/«n» (fixed in «ver»)",
)
PLAIN_NOTES: tuple[str, ...] = (
    "Install the base packages",
    "Make sure the service is enabled at boot",
    "Configuration files",
    "Runtime directories",
    "Keep this in sync with the templates",
    "Managed by configuration management",
    "Defaults for all environments",
    "Service management",
    "Log rotation",
    "Kernel parameters",
    "Application settings",
    "Monitoring integration",
    "Only on the primary node",
    "Values are strings on purpose",
)
OVERRIDE_NOTES: tuple[str, ...] = (
    "Placeholder only, override it in the vault-encrypted group_vars",
    "Dummy value, must be set per environment",
    "Not a real password: overridden by the inventory",
    "Overridden from the secrets store at deploy time",
)
PLAIN_SECRET_NOTES: tuple[str, ...] = (
    "Default password for the admin account",
    "Initial password, used by the bootstrap task",
    "Password of the application database user",
)
DOC_LINK_NOTES: tuple[str, ...] = (
    "See http://docs.example.org/«app»/configuration.html for all options",
    "Documentation: http://«app».example.org/docs/",
    "Reference: http://wiki.example.com/display/OPS/«App»",
    "Based on http://www.example.com/howto/«app»-setup",
)

_PASSWORD_CHARS = string.ascii_letters + string.digits
_SYMBOLS = "!@^*-_=+."
_FORBIDDEN = re.compile(r"vault|lookup|hiera|change|http|pass|key|user", re.IGNORECASE)


def is_clean(text: str) -> bool:
    """True when generated secret text cannot trip a rule or a cue by accident."""
    return not (
        WEAK_CRYPTO.search(text) or HTTP_URL.search(text) or suspicious_comment(text) or _FORBIDDEN.search(text)
    )


def random_password(rng: Random) -> str:
    """A hard-coded password: either a human one from a list or random characters."""
    if rng.random() < 0.45:
        return rng.choice(HUMAN_PASSWORDS)
    while True:
        length = rng.randint(10, 20)
        chars = [rng.choice(_PASSWORD_CHARS) for _ in range(length)]
        for _ in range(rng.randint(0, 2)):
            chars[rng.randrange(length)] = rng.choice(_SYMBOLS)
        text = "".join(chars)
        if is_clean(text) and text[0] not in "/+.-~<":
            return text


def random_hex(rng: Random, length: int) -> str:
    """Lower-case hex digits."""
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def random_token(rng: Random) -> str:
    """A hard-coded API token or secret key in one of a few common shapes."""
    while True:
        shape = rng.randrange(4)
        if shape == 0:
            text = random_hex(rng, rng.choice((32, 40, 64)))
        elif shape == 1:
            text = "ghp_" + "".join(rng.choice(_PASSWORD_CHARS) for _ in range(36))
        elif shape == 2:
            text = "".join(rng.choice(_PASSWORD_CHARS + "+/") for _ in range(40))
        else:
            text = "".join(rng.choice(_PASSWORD_CHARS + "!@^*-_=+") for _ in range(50))
        if is_clean(text) and text[0] not in "/+.-~<":
            return text


def fill_words(text: str, rng: Random, app: App, org: str = "acme") -> str:
    """Fill the «app»/«App»/«org»/«repo»/«pkg»/«n»/«ver» holes of a pool text."""
    return (
        text.replace("«app»", app.name)
        .replace("«App»", app.title)
        .replace("«org»", org)
        .replace("«repo»", f"{app.name}-ansible")
        .replace("«pkg»", app.package)
        .replace("«n»", str(rng.randint(12, 4800)))
        .replace("«ver»", rng.choice(VERSIONS))
    )
