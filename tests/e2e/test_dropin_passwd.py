"""Password files are Mosquitto's: what `mosquitto_passwd` writes the broker reads, what
`roost passwd` writes Mosquitto reads too, and `-D` removes a user.

The `roost passwd` cases run against either broker once `ROOST_BIN passwd --help` exits
0 (against Mosquitto they check that a file Roost made is a Mosquitto password file);
until then they are skipped.
"""

import pytest

import rawmqtt as R
from harness import (connack_code, mosquitto_passwd, mosquitto_passwd_hashes, roost_passwd,
                     roost_passwd_available)

REFUSED = {R.V311: 5, R.V5: 0x87}
VERSIONS = [R.V311, R.V5]


def needs_roost_passwd():
    if not roost_passwd_available():
        pytest.skip("`ROOST_BIN passwd` is not available")


TOOLS = {"mosquitto_passwd": mosquitto_passwd, "roost_passwd": roost_passwd}


@pytest.fixture(params=list(TOOLS))
def passwd_tool(request):
    """The password-file editor under test: mosquitto_passwd or ROOST_BIN passwd."""
    if request.param == "roost_passwd":
        needs_roost_passwd()
    return TOOLS[request.param]


def password_broker(broker, path):
    return broker(conf=["listener {port} 127.0.0.1",
                        "allow_anonymous false",
                        f"password_file {path}"])


def assert_accepts(b, user, password):
    for v in VERSIONS:
        assert connack_code(b, user, password, v) == 0, (user, v)


def assert_refuses(b, user, password):
    for v in VERSIONS:
        assert connack_code(b, user, password, v) == REFUSED[v], (user, v)


def entries(path):
    return dict(line.split(":", 1) for line in path.read_text().splitlines() if line)


@pytest.mark.parametrize("hash_name,prefix", [(None, "$7$"), ("sha512-pbkdf2", "$7$"),
                                              ("sha512", "$6$")],
                         ids=["default", "sha512-pbkdf2", "sha512"])
def test_mosquitto_passwd_hash_is_accepted(broker, tmp_path, hash_name, prefix):
    if hash_name is not None and hash_name not in mosquitto_passwd_hashes():
        pytest.skip(f"this mosquitto_passwd has no -H {hash_name}")
    path = tmp_path / "passwd"
    mosquitto_passwd(path, "alice", "alice-pw", create=True, hash_name=hash_name)
    assert entries(path)["alice"].startswith(prefix)
    b = password_broker(broker, path)
    assert_accepts(b, "alice", "alice-pw")
    assert_refuses(b, "alice", "alice-PW")
    assert_refuses(b, "alice", "")
    assert_refuses(b, "bob", "alice-pw")


def test_file_mixing_sha512_and_pbkdf2_users(broker, tmp_path):
    if "sha512" not in mosquitto_passwd_hashes():
        pytest.skip("this mosquitto_passwd has no -H sha512")
    path = tmp_path / "passwd"
    mosquitto_passwd(path, "old", "old-pw", create=True, hash_name="sha512")
    mosquitto_passwd(path, "new", "new-pw")
    b = password_broker(broker, path)
    assert_accepts(b, "old", "old-pw")
    assert_accepts(b, "new", "new-pw")
    assert_refuses(b, "old", "new-pw")
    assert_refuses(b, "new", "old-pw")


def test_passwords_with_colons_spaces_and_unicode(broker, tmp_path, passwd_tool):
    path = tmp_path / "passwd"
    passwd_tool(path, "colon", "a:b:c", create=True)
    passwd_tool(path, "space", "two words ")
    passwd_tool(path, "unicode", "pässwörd-✓")
    b = password_broker(broker, path)
    assert_accepts(b, "colon", "a:b:c")
    assert_accepts(b, "space", "two words ")
    assert_accepts(b, "unicode", "pässwörd-✓")
    assert_refuses(b, "colon", "a")
    assert_refuses(b, "space", "two words")


def test_user_removed_with_D_is_refused(broker, tmp_path, passwd_tool):
    path = tmp_path / "passwd"
    passwd_tool(path, "stays", "stays-pw", create=True)
    passwd_tool(path, "leaves", "leaves-pw")
    passwd_tool(path, "leaves", delete=True)
    assert set(entries(path)) == {"stays"}
    b = password_broker(broker, path)
    assert_accepts(b, "stays", "stays-pw")
    assert_refuses(b, "leaves", "leaves-pw")


def test_updating_a_password_replaces_the_old_one(broker, tmp_path, passwd_tool):
    path = tmp_path / "passwd"
    passwd_tool(path, "alice", "first", create=True)
    passwd_tool(path, "alice", "second")
    assert list(entries(path)) == ["alice"]
    b = password_broker(broker, path)
    assert_accepts(b, "alice", "second")
    assert_refuses(b, "alice", "first")


def test_roost_passwd_writes_mosquitto_format(tmp_path):
    # username:$7$<iterations>$<base64 salt>$<base64 hash>, as mosquitto_passwd writes.
    needs_roost_passwd()
    path = tmp_path / "passwd"
    roost_passwd(path, "alice", "alice-pw", create=True)
    (line,) = path.read_text().splitlines()
    user, hashed = line.split(":", 1)
    assert user == "alice"
    kind, iterations, salt, digest = hashed.split("$")[1:]
    assert (kind, iterations.isdigit(), bool(salt), bool(digest)) == ("7", True, True, True)


def test_mosquitto_passwd_and_roost_passwd_edit_the_same_file(broker, tmp_path):
    needs_roost_passwd()
    path = tmp_path / "passwd"
    mosquitto_passwd(path, "m1", "m1-pw", create=True)
    roost_passwd(path, "r1", "r1-pw")
    mosquitto_passwd(path, "m2", "m2-pw")
    roost_passwd(path, "m1", delete=True)
    mosquitto_passwd(path, "r1", "r1-new")
    assert set(entries(path)) == {"r1", "m2"}
    b = password_broker(broker, path)
    assert_accepts(b, "r1", "r1-new")
    assert_accepts(b, "m2", "m2-pw")
    assert_refuses(b, "m1", "m1-pw")
    assert_refuses(b, "r1", "r1-pw")
