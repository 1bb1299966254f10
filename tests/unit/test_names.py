"""Table tests of the SessionName → object name mapping (mywhatsapp.common.names)."""

from __future__ import annotations

import base64
import hashlib
import re
import string

import pytest

from mywhatsapp.common import names
from mywhatsapp.common.names import SessionNameError, cr_name_for

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def expected_hash(session_name: str) -> str:
    """Independent restatement of the documented hash: base32(sha256)[:10], lowercase."""
    return base64.b32encode(hashlib.sha256(session_name.encode()).digest()).decode()[:10].lower()


# --- Frozen examples: changing any of these orphans existing sessions' volumes.
FROZEN = [
    ("teste", "teste"),
    ("Teste", "teste-hrhzqqiimpr"),
    ("a-b", "a-b"),
    ("a_b", "a-b-hmsh2tmy3y7"),
    ("_", "session-h2lrk35yxpn"),
    ("Minha.Sessao_01", "minha-sessao-01-hkc3ys6tyas"),
    ("5511999998888", "5511999998888"),
    ("a" * 40, "a" * 40),
    ("a" * 41, "a" * 40 + "-hyd4l2tn4fm"),
    ("a" * 64, "a" * 40 + "-h77qfj7t24d"),
    ("teste-habcdefghij", "teste-habcdefghij-hrv4w5mt7qx"),
]


@pytest.mark.parametrize(("session_name", "cr_name"), FROZEN)
def test_frozen_examples(session_name: str, cr_name: str) -> None:
    assert cr_name_for(session_name) == cr_name


IDENTITY = [
    "a",
    "teste",
    "a-b",
    "0",
    "5511999998888",
    "my-session-01",
    "a" * 40,
    "a" + "-" * 38 + "b",
    "teste-habcdefghi",  # 9 characters after "-h": not the suffix shape
    "teste-h01234567890",  # 11 characters after "-h": not the suffix shape
    "teste-xabcdefghij",  # other letter than h
]


@pytest.mark.parametrize("session_name", IDENTITY)
def test_identity(session_name: str) -> None:
    assert cr_name_for(session_name) == session_name


HASHED = [
    # (SessionName, expected slug)
    ("Teste", "teste"),
    ("TESTE", "teste"),
    ("a_b", "a-b"),
    ("a.b", "a-b"),
    ("a__b", "a-b"),
    ("a._-b", "a-b"),
    ("abc_", "abc"),
    ("abc.", "abc"),
    ("9abc-", "9abc"),
    ("_abc", "abc"),
    ("_", "session"),
    ("___", "session"),
    ("a" * 41, "a" * 40),
    ("a" * 52, "a" * 40),
    ("a" * 63, "a" * 40),
    ("a" * 64, "a" * 40),
    ("b" * 39 + "_c", "b" * 39),  # cut lands on "-": trimmed
    ("A" * 39 + "-" + "c" * 10, "a" * 39),
    # Looks like a hashed name: never identity.
    ("teste-habcdefghij", "teste-habcdefghij"),
    ("teste-h0123456789", "teste-h0123456789"),
    ("x-h" + "a" * 10, "x-h" + "a" * 10),
    (cr_name_for("Teste"), cr_name_for("Teste")),
]


@pytest.mark.parametrize(("session_name", "slug"), HASHED)
def test_hashed(session_name: str, slug: str) -> None:
    cr_name = cr_name_for(session_name)
    assert cr_name == f"{slug}-h{expected_hash(session_name)}"
    assert names.has_hash_suffix_shape(cr_name)
    assert DNS_LABEL.fullmatch(cr_name)
    assert len(cr_name) <= 52


@pytest.mark.parametrize(
    ("length", "expected_length"),
    [(1, 1), (39, 39), (40, 40), (41, 52), (52, 52), (53, 52), (63, 52), (64, 52)],
)
def test_length_edges(length: int, expected_length: int) -> None:
    assert len(cr_name_for("a" * length)) == expected_length


def test_65_characters_refused() -> None:
    with pytest.raises(SessionNameError, match="65 characters, more than 64"):
        cr_name_for("a" * 65)


REFUSED = [
    ("", "empty"),
    ("../x", "starts with '.'"),
    ("a/../b", "contains '..'"),
    ("a/b", "character '/' is not allowed"),
    ("a..b", "contains '..'"),
    ("/", "character '/' is not allowed"),
    ("my session", "character ' ' is not allowed"),
    (" teste", "character ' ' is not allowed"),
    ("teste\n", r"character '\n' is not allowed"),
    ("sessão", "character 'ã' is not allowed"),
    ("\uff54\uff45\uff53\uff54\uff45", "is not allowed"),  # fullwidth letters
    ("\u0663", "is not allowed"),  # ARABIC-INDIC DIGIT THREE
    ("\u212a", "is not allowed"),  # KELVIN SIGN, lowercases to 'k'
    (".hidden", "starts with '.'"),
    ("-x", "starts with '-'"),
    ("a:b", "character ':' is not allowed"),
    ("a\\b", "is not allowed"),
    ("a" * 300, "300 characters"),
]


@pytest.mark.parametrize(("session_name", "reason"), REFUSED)
def test_refused(session_name: str, reason: str) -> None:
    with pytest.raises(SessionNameError, match=re.escape(reason)):
        cr_name_for(session_name)


@pytest.mark.parametrize("value", [None, 5, b"teste", ["teste"]])
def test_refused_non_text(value: object) -> None:
    with pytest.raises(SessionNameError, match="text value"):
        cr_name_for(value)


def test_error_message_states_the_rule() -> None:
    with pytest.raises(SessionNameError) as caught:
        cr_name_for("a b")
    message = str(caught.value)
    assert message.startswith("Invalid SessionName: ")
    assert "1 to 64 characters" in message
    assert isinstance(caught.value, ValueError)


def test_case_and_punctuation_variants_do_not_collide() -> None:
    variants = ["teste", "Teste", "TESTE", "tEste", "a-b", "a_b", "a.b", "A-b", "a__b", "a--b"]
    mapped = [cr_name_for(v) for v in variants]
    assert len(set(mapped)) == len(variants)


def test_hashed_output_fed_back_maps_elsewhere() -> None:
    first = cr_name_for("Teste")
    assert cr_name_for(first) != first


def test_no_collisions_over_many_names() -> None:
    alphabet = string.ascii_letters + string.digits + "_.-"
    session_names = {
        a + b + c for a in alphabet[:62] for b in alphabet for c in "aZ_9.-" if ".." not in b + c
    }
    session_names |= {f"sess{i}" for i in range(3000)} | {f"Sess_{i}" for i in range(3000)}
    mapped: dict[str, str] = {}
    for session_name in session_names:
        cr_name = cr_name_for(session_name)
        assert names.is_valid_cr_name(cr_name), session_name
        assert mapped.setdefault(cr_name, session_name) == session_name
        if cr_name == session_name:
            assert not names.has_hash_suffix_shape(cr_name)
        else:
            assert names.has_hash_suffix_shape(cr_name)


def test_cr_belongs_to() -> None:
    assert names.cr_belongs_to("Teste", cr_name="teste-hrhzqqiimpr", stored_session_name="Teste")
    assert not names.cr_belongs_to(
        "Other", cr_name="teste-hrhzqqiimpr", stored_session_name="Teste"
    )
    # A CR made by hand, without the annotation: only its identity SessionName.
    assert names.cr_belongs_to("teste", cr_name="teste", stored_session_name=None)
    assert not names.cr_belongs_to("Teste", cr_name="teste-hrhzqqiimpr", stored_session_name=None)


# --- Owned object names -----------------------------------------------------

LONGEST = "a" * 40 + "-hyd4l2tn4fm"  # 52 characters, the longest CR name


def test_owned_names() -> None:
    assert names.statefulset_name("teste") == "teste"
    assert names.pod_name("teste") == "teste-0"
    assert names.pvc_template_name() == "state"
    assert names.pvc_name("teste") == "state-teste-0"
    assert names.service_name("teste") == "wa-teste"
    assert names.service_name("5511999998888") == "wa-5511999998888"
    assert names.service_account_name("teste") == "teste-session"
    assert names.role_name("teste") == "teste-session"
    assert names.role_binding_name("teste") == "teste-session"
    assert names.secret_name("teste") == "teste-internal"


def test_owned_names_within_limits_at_the_budget_edge() -> None:
    assert len(LONGEST) == 52
    sts = names.statefulset_name(LONGEST)
    # The StatefulSet controller's revision label: "<sts>-" + up to 10 characters.
    assert len(f"{sts}-{'x' * names.MAX_REVISION_HASH_LENGTH}") == 63
    owned = [
        names.pod_name(LONGEST),
        names.pvc_name(LONGEST),
        names.service_name(LONGEST),
        names.service_account_name(LONGEST),
        names.role_name(LONGEST),
        names.role_binding_name(LONGEST),
        names.secret_name(LONGEST),
    ]
    for name in owned:
        assert len(name) <= 63, name
        assert DNS_LABEL.fullmatch(name), name
    assert DNS_1035_LABEL.fullmatch(names.service_name("0" * 52))


@pytest.mark.parametrize("bad", ["", "a" * 53, "Teste", "a.b", "-a", "a-", "a_b"])
def test_owned_names_refuse_invalid_cr_names(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid WhatsAppSession name"):
        names.statefulset_name(bad)
    with pytest.raises(ValueError):
        names.secret_name(bad)


def test_budget_constants_add_up() -> None:
    assert names.MAX_CR_NAME_LENGTH == (
        names.MAX_LABEL_LENGTH - 1 - names.MAX_REVISION_HASH_LENGTH
    )
    assert names.MAX_SLUG_LENGTH + names.HASH_SUFFIX_LENGTH == names.MAX_CR_NAME_LENGTH
    assert names.MAX_IDENTITY_LENGTH <= names.MAX_CR_NAME_LENGTH
