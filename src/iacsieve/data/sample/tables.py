"""Words the shapes are filled with, and the smell mix each technology is steered towards.

A shape (see ``shapes_*.py``) names a word list as ``%name%``; ``%name_2%`` is a second, independent draw
from the same list. Entries may themselves hold ``%name%``. ``%app%`` is the project's application.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Share of each GLITCH code among a technology's detections, and the share of them that are TP; close to
#: what GLITCH 2.0 reports on public roles, cookbooks and modules (weak crypto raised a little to be learnt).
MIX: dict[str, dict[str, tuple[float, float]]] = {
    "ansible": {"sec_hard_pass": (0.09, 0.96), "sec_hard_secr": (0.19, 0.18), "sec_hard_user": (0.22, 0.38),
                "sec_susp_comm": (0.34, 0.24), "sec_weak_crypt": (0.05, 0.35), "sec_https": (0.11, 0.72)},
    "chef": {"sec_hard_pass": (0.10, 0.95), "sec_hard_secr": (0.06, 0.40), "sec_hard_user": (0.27, 0.24),
             "sec_susp_comm": (0.29, 0.48), "sec_weak_crypt": (0.05, 0.50), "sec_https": (0.23, 0.93)},
    "puppet": {"sec_hard_pass": (0.04, 0.94), "sec_hard_secr": (0.09, 0.12), "sec_hard_user": (0.27, 0.25),
               "sec_susp_comm": (0.47, 0.19), "sec_weak_crypt": (0.05, 0.55), "sec_https": (0.08, 0.72)},
}

#: Marker letter of a flagged line -> GLITCH code.
CODE_OF = {"P": "sec_hard_pass", "S": "sec_hard_secr", "U": "sec_hard_user", "C": "sec_susp_comm",
           "W": "sec_weak_crypt", "H": "sec_https"}

APPS = _words("""grafana prometheus redis elasticsearch kibana consul haproxy memcached postgresql mongodb rabbitmq
zabbix icinga graylog kafka zookeeper tomcat gitlab nexus sonarqube minio influxdb telegraf netbox keycloak etcd
ceph openldap bind chrony squid varnish docker k3s awx rundeck mattermost harbor loki fluentd filebeat logstash
traefik nomad cassandra solr activemq nagios collectd pgbouncer patroni opensearch jupyterhub gitea drone sentry
vector unbound dnsmasq samba nfs openvpn wireguard keepalived galera mariadb couchdb airflow superset""")

VOCAB: dict[str, tuple[str, ...]] = {
    "svc": _words("""nova glance cinder neutron swift heat zabbix nagios hdfs hive zookeeper kafka grafana
prometheus consul elasticsearch kibana redis memcached tomcat gitlab minio influxdb telegraf netbox sonar nexus
deploy backup monitoring metrics app worker builder rally collectd solr activemq cassandra etcd traefik"""),
    "priv": _words("root root root admin admin administrator postgres sa guest elastic"),
    "cloud": _words("ubuntu centos ec2-user debian vagrant cloud-user"),
    "pw": _words("""changeme changeme secret password admin123 P@ssw0rd letmein s3cr3t Passw0rd! supersecret
testpass vagrant qwerty123 changeit hunter2 Welcome1 default123 test123 example-pass"""),
    "pwx": _words("""%app%pass %app%123 %app%_secret %app%-db-pass %svc%pw %app%!2024"""),
    "hash": ("$6$rounds=5000$saltsalt$Xk2p9Wv1Zq8Lm3Nn4Bb5Cc6Dd7Ee8Ff9Gg0Hh1Ii2Jj3Kk4Ll5Mm6Nn7",
             "$1$abcdefgh$Qw3rTy7uIoP1aSdFgHjKl.", "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
             "$y$j9T$E1xAmPlEhAsH$5vLk2oP0qR8sT4uW6xY1zA3bC5dE7fG9hJ0kL2mN4pQ"),
    "hex": ("0f3a9c2e7b1d4f6a8c0e2b4d6f8a1c3e", "a94a8fe5ccb19ba61c4c0873d391e987", "11111111111111111111111111111111",
            "5f4dcc3b5aa765d61d8327deb882cf99", "d41d8cd98f00b204e9800998ecf8427e", "e3b0c44298fc1c149afbf4c8996fb924"),
    "b64": ("AQCNhbZTCKXiGhAAWsXesOdPlNnUSoJg7BZvsw==", "c2VjcmV0LXRva2VuLXZhbHVl", "dGVzdC1rZXktZm9yLWNp",
            "Zm9vYmFyYmF6cXV4MTIzNDU2", "YWRtaW46YWRtaW4xMjM="),
    "tok": _words("testtoken123 secret12345 changeme-token dev-token-1234 %hex% %b64% xoxb-1234-5678-abcdefgh"
                  " ghp_0123456789abcdefABCDEF tok-%app%-42 your_token_here"),
    "fpr": _words("""9DA31620334BD75D9DCB49F368818C72E52529D4 0C49F3730359A14518585931BC711F9BA15703C6
D18886567EABAD8B2D2526900D826EB906462314 4F4EA0AAE5267A6C 15af5dac6d745a60 B9E7C6A1D2F3E4A5B6C7D8E9F0A1B2C3D4E5F6A7"""),
    "host": _words("""mirror.%org%.org download.%app%.org packages.%app%.io repo.%org%.com dl.%org%.net
archive.%org%.org apt.%app%.org yum.%app%.org ftp.%org%.edu artifacts.%org%.io downloads.%org%.com
%app%.%org%.internal ci.%org%.org example.com example.org mirror.example.net"""),
    "org": _words("acme contoso initech globex umbrella hooli vandelay stark wayne tyrell cyberdyne aperture"),
    "port": _words("8080 8081 9000 9090 3000 5601 8500 9200 8161 15672 8086 4646 9100 8000 8443"),
    "ver": _words("1.2.3 2.4.1 3.0.0 0.9.8 5.6.16 7.17.9 2.11.2 1.20.1 4.2.0 6.0.5"),
    "os": _words("Debian RedHat Ubuntu CentOS Archlinux Suse"),
    "dist": _words("focal jammy bookworm bullseye el8 el9"),
    "word": _words("""cluster replica worker agent server client proxy backend frontend node storage cache
queue scheduler exporter gateway console portal"""),
    "setting": _words("""max_connections listen_port log_level data_dir worker_threads cache_size timeout
bind_interface retention_days heap_size pid_file log_dir"""),
    "keyname": _words("""data_directory password_encryption log_destination shared_buffers listen_addresses
work_mem extension max_wal_size"""),
    "flavor": _words("rocky alma oracle debian ubuntu fedora equinix vultr"),
}

#: Comment prose: neutral (no keyword), FP-shaped (a keyword inside another word or in plain prose) and
#: TP-shaped (an explicit marker or an admitted problem).
NEUTRAL = (
    "Configuration of the %app% %word% service.", "Values below are the defaults shipped with the package.",
    "Override these in group_vars or in the inventory.", "Set to false to manage the service elsewhere.",
    "The directory must exist before the service starts.", "Ports the %word% listens on.",
    "Packages installed on every node.", "Only applied on the primary node of the %word%.",
    "See the role documentation for every option.", "Managed by configuration management; edits are lost.",
    "Restart the service when the configuration changes.", "Version of %app% to install.",
    "Number of worker processes; defaults to the number of cores.", "Rotate logs daily and keep a week.",
    "Keep this list sorted.", "Changes here require a restart of %app%.", "Copyright %org% contributors.",
    "Licensed under the Apache License, Version 2.0.", "Unless required by applicable law or agreed to in writing,",
    "distributed under the License is distributed on an AS IS BASIS.", "Create the data directory.",
    "Install the %app% packages from the distribution.", "Template the main configuration file.",
    "Enable and start the service.", "Wait for the %word% to accept connections.",
)
FP_NOTES = (
    "Prefix of every %app% metric name.", "Set to true to enable debug logging.", "Log level (info, debug, warn).",
    "Suffix appended to the %word% hostname.", "Address the resolver listens on (systemd-resolved).",
    "Mail relay settings for postfix.", "Whether this is a fixed maintenance window.",
    "The %app% API may be slow to answer; the task retries later.", "Resolve the address of each %word%.",
    "Comment to post when closing a stale issue.", "Number of days of inactivity before an issue becomes stale.",
    "Label to use when marking an issue as stale.", "Issues with these labels will never be considered stale.",
    "Prefixed to every log line.", "Run the %word% in debug mode (not for production).",
    "Fix permissions of the data directory after the package install.", "Attach a debugger to the %word% process.",
    "Keep the file around for debugging.", "Upgrading may cause issues if this file is overridden.",
    "Problems with this host are reported to the %word% group.", "Use the issue tracker for questions.",
    "Fixes the ownership of files created by the installer.", "Tickets granted by the %word% expire after 10 hours.",
    "Report bugs at the project's home page.", "Hosts are resolved at start-up.", "postfix_relayhost: smtp.%org%.com",
    "Dictionary of settings added with this prefix.", "Path of the debug log.", "Install apt-listbugs on Debian.",
    "noqa var-naming[no-role-prefix]", "TLS session cache used by postfix.", "DNS suffix of the %word% nodes.",
)
TP_NOTES = (
    "TODO: make this configurable.", "TODO: remove once every node runs %app% %ver%.", "FIXME: this is not idempotent.",
    "FIXME: hard-coded until the inventory provides it.", "HACK: restart twice, the first start often fails.",
    "TODO: verify the checksum of the download.", "XXX HACK: the package does not create the directory.",
    "Workaround for bug #%port%: the service ignores SIGHUP.", "TODO(%svc%): drop after the migration.",
    "FIXME: the upstream unit file is incorrect.", "This is a hack around the broken init script.",
    "TODO: support %os% as well.", "Temporary fix until upstream releases %ver%.",
    "Known issue: the first run fails, so failures are ignored here.", "There is a bug in %app% %ver%; pin it.",
    "TODO: to be implemented for RedHat.", "FIXME: should be a boolean.", "TODO: use the official module later.",
    "Work around issue #%port%, the repository key expires.", "Ugly hack: disable the check until it is fixed.",
    "TODO: drop the sleep when the health check works.", "Until https://github.com/%org%/%app%/issues/%port% is fixed",
    "FIXME: certificates are not verified yet.", "TODO - rotate this credential.",
)

VOCAB.update({"note": NEUTRAL, "fpnote": FP_NOTES, "tpnote": TP_NOTES})
