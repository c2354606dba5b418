"""The keyword-rule baseline: the glance-level rules a reader applies to one flagged line."""

import pytest

from iacsieve.evaluation.baselines import keyword_rule


@pytest.mark.parametrize(
    "smell, line, keep",
    [
        ("Hard-coded secret", 'password: "hunter2"', 1),
        ("Hard-coded secret", 'password: "{{ vault_db_password }}"', 0),
        ("Hard-coded secret", "key_buffer_size: 256M", 0),
        ("Hard-coded secret", "$db_password = hiera('db::password')", 0),
        ("Use of HTTP without SSL/TLS", "url: http://mirror.example.org/pkg.tar.gz", 1),
        ("Use of HTTP without SSL/TLS", "url: http://localhost:8080/health", 0),
        ("Use of HTTP without SSL/TLS", "# see http://wiki.example.org/docs/setup", 0),
        ("Use of weak cryptography algorithms", "password_hash('md5')", 1),
        ("Use of weak cryptography algorithms", "checksum: md5:3b5d5c3712955042212316173ccf37be", 0),
        ("Suspicious comment", "# TODO: rotate this key", 1),
        ("Suspicious comment", "# TODO: tidy up the formatting", 0),
    ],
)
def test_keyword_rule(smell, line, keep):
    assert keyword_rule({"smell": smell, "content": line}) == keep
