"""The Open Badges 3.0 credential: schema-valid, signed as a VC-JWT, each failure with its own reason."""
import base64
import json
import os
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from academy.certificates.codes import display, new_code
from academy.certificates.credential import CredentialInvalid, build_credential, sign, verify
from academy.certificates.keys import KeyRingError, b64url, init_keys, key_id, load_keyring, public_jwk, rotate_keys
from academy.certificates.snapshot import Snapshot
from tests.conftest import missing

SCHEMA = Path(__file__).resolve().parents[2].parent / "shared/schemas/openbadges-3.0/achievementcredential.json"
BASE = "https://academy.example.org"
STATEMENT = ("Example Academy is approved by the American Psychological Association to sponsor continuing "
             "education for psychologists. Example Academy maintains responsibility for this program.")


def make_snapshot(**changes) -> Snapshot:
    values = dict(
        code=new_code(), kind="course", holder_name="Łukasz Nguyễn", holder_credentials="MD",
        license_number="A123456", license_state="California",
        course_title="Foundations of Ketamine-Assisted Psychotherapy", course_version="2.1.0",
        completion_date=date(2025, 3, 14), issue_date=date(2025, 3, 15), ce_hours=Decimal("1.5"),
        accreditation=({"body": "American Psychological Association", "statement": STATEMENT,
                        "credits": "1.5", "credit_type": "CE credits", "provider_number": "APA-1",
                        "course_number": None},),
        provider_name="Example Academy", signatory="Dr. Zoë O'Brien-Åberg", expires_on=date(2099, 3, 15),
    )
    values.update(changes)
    return Snapshot(**values)


def make_credential(snapshot: Snapshot, **options) -> dict:
    return build_credential(snapshot, issuer_id=f"{BASE}/issuer", issuer_name="Example Academy",
                            verify_url=f"{BASE}/verify/{snapshot.code}",
                            achievement_id=f"{BASE}/courses/kap-foundations/2.1.0", **options)


@pytest.fixture
def ring(tmp_path):
    init_keys(tmp_path / "keys")
    return load_keyring(tmp_path / "keys")


def signed(credential: dict, ring) -> str:
    return sign(credential, ring.private_key(ring.active_kid), ring.active_kid)


def decode_part(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def encode_part(value: dict) -> str:
    return b64url(json.dumps(value).encode())


class TestSignAndVerify:
    def test_round_trip(self, ring):
        credential = make_credential(make_snapshot())
        assert verify(signed(credential, ring), ring.public_keys()) == credential

    def test_header_and_registered_claims(self, ring):
        credential = make_credential(make_snapshot())
        header_part, payload_part, _ = signed(credential, ring).split(".")
        assert decode_part(header_part) == {"alg": "EdDSA", "typ": "vc+jwt", "kid": ring.active_kid}
        payload = decode_part(payload_part)
        assert payload["iss"] == f"{BASE}/issuer"
        assert payload["jti"] == credential["id"]
        assert payload["nbf"] == int(datetime(2025, 3, 15, tzinfo=timezone.utc).timestamp())
        assert payload["exp"] == int(datetime(2099, 3, 15, 23, 59, 59, tzinfo=timezone.utc).timestamp())
        assert {key: value for key, value in payload.items() if key not in ("iss", "jti", "nbf", "exp")} \
            == credential

    def test_tokens_are_base64url_without_padding(self, ring):
        token = signed(make_credential(make_snapshot()), ring)
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)

    def test_a_tampered_payload_fails(self, ring):
        header, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        claims = decode_part(payload)
        claims["credentialSubject"]["creditsEarned"] = 40
        with pytest.raises(CredentialInvalid, match="^bad signature"):
            verify(f"{header}.{encode_part(claims)}.{signature}", ring.public_keys())

    def test_an_altered_code_fails(self, ring):
        snapshot = make_snapshot()
        header, payload, signature = signed(make_credential(snapshot), ring).split(".")
        forged = encode_part(json.loads(json.dumps(decode_part(payload)).replace(snapshot.code, new_code())))
        with pytest.raises(CredentialInvalid, match="^bad signature"):
            verify(f"{header}.{forged}.{signature}", ring.public_keys())

    def test_a_tampered_header_fails(self, ring):
        header, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        forged = encode_part({**decode_part(header), "cty": "vc"})
        with pytest.raises(CredentialInvalid, match="^bad signature"):
            verify(f"{forged}.{payload}.{signature}", ring.public_keys())

    @pytest.mark.parametrize("alg", ["none", "HS256", "RS256", None])
    def test_other_algorithms_are_refused(self, ring, alg):
        header, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        forged = encode_part({**decode_part(header), "alg": alg})
        with pytest.raises(CredentialInvalid, match="^unsupported algorithm"):
            verify(f"{forged}.{payload}.{signature}", ring.public_keys())

    def test_a_token_signed_with_an_unknown_key_fails(self, ring):
        token = sign(make_credential(make_snapshot()), Ed25519PrivateKey.generate(), "someone-else")
        with pytest.raises(CredentialInvalid, match="^unknown key id 'someone-else'"):
            verify(token, ring.public_keys())

    @pytest.mark.parametrize("kid", [None, ["list"], 7])
    def test_a_missing_or_odd_kid_is_unknown(self, ring, kid):
        header, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        forged = encode_part({**decode_part(header), "kid": kid})
        with pytest.raises(CredentialInvalid, match="^unknown key id"):
            verify(f"{forged}.{payload}.{signature}", ring.public_keys())

    def test_another_key_claiming_our_kid_fails(self, ring):
        token = sign(make_credential(make_snapshot()), Ed25519PrivateKey.generate(), ring.active_kid)
        with pytest.raises(CredentialInvalid, match="^bad signature"):
            verify(token, ring.public_keys())

    def test_an_expired_credential_fails_with_its_date(self, ring):
        token = signed(make_credential(make_snapshot(issue_date=date(2018, 1, 1), expires_on=date(2020, 1, 1))),
                       ring)
        with pytest.raises(CredentialInvalid, match="^expired on 2020-01-01T23:59:59Z"):
            verify(token, ring.public_keys())

    def test_a_credential_is_valid_through_its_expiry_day(self, ring):
        token = signed(make_credential(make_snapshot(expires_on=date(2030, 6, 1))), ring)
        assert verify(token, ring.public_keys(), now=datetime(2030, 6, 1, 23, 0, tzinfo=timezone.utc))
        with pytest.raises(CredentialInvalid, match="^expired"):
            verify(token, ring.public_keys(), now=datetime(2030, 6, 2, 0, 0, tzinfo=timezone.utc))

    def test_a_credential_without_expiry_never_expires(self, ring):
        credential = make_credential(make_snapshot(expires_on=None))
        assert "validUntil" not in credential
        token = signed(credential, ring)
        assert "exp" not in decode_part(token.split(".")[1])
        assert verify(token, ring.public_keys(), now=datetime(2999, 1, 1, tzinfo=timezone.utc)) == credential

    def test_a_credential_is_not_valid_before_its_issue_date(self, ring):
        token = signed(make_credential(make_snapshot()), ring)
        with pytest.raises(CredentialInvalid, match="^not yet valid: valid from 2025-03-15T00:00:00Z"):
            verify(token, ring.public_keys(), now=datetime(2025, 3, 14, 23, 59, tzinfo=timezone.utc))

    def test_registered_claims_that_disagree_with_the_credential_fail(self, ring):
        credential = make_credential(make_snapshot())
        header = encode_part({"alg": "EdDSA", "typ": "vc+jwt", "kid": ring.active_kid})
        payload = encode_part({**credential, "iss": "https://elsewhere.example", "jti": credential["id"],
                               "nbf": 0})
        signature = b64url(ring.private_key(ring.active_kid).sign(f"{header}.{payload}".encode()))
        with pytest.raises(CredentialInvalid, match="disagree with the credential"):
            verify(f"{header}.{payload}.{signature}", ring.public_keys())

    @pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "..", "a!.b.c", 42])
    def test_malformed_tokens(self, ring, token):
        with pytest.raises(CredentialInvalid, match="^malformed token"):
            verify(token, ring.public_keys())

    def test_a_header_that_is_not_json_is_malformed(self, ring):
        _, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        with pytest.raises(CredentialInvalid, match="^malformed token: the header is not JSON"):
            verify(f"{b64url(b'not json')}.{payload}.{signature}", ring.public_keys())

    def test_the_wrong_token_type_is_refused(self, ring):
        header, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        forged = encode_part({**decode_part(header), "typ": "JWT"})
        with pytest.raises(CredentialInvalid, match="^unexpected token type 'JWT'"):
            verify(f"{forged}.{payload}.{signature}", ring.public_keys())

    def test_critical_header_extensions_are_refused(self, ring):
        header, payload, signature = signed(make_credential(make_snapshot()), ring).split(".")
        forged = encode_part({**decode_part(header), "crit": ["exp"]})
        with pytest.raises(CredentialInvalid, match="^unsupported critical"):
            verify(f"{forged}.{payload}.{signature}", ring.public_keys())

    def test_signing_is_deterministic(self, ring):
        credential = make_credential(make_snapshot())
        assert signed(credential, ring) == signed(credential, ring)


class TestKeyRing:
    def test_init_writes_a_private_pkcs8_key_and_marks_it_active(self, tmp_path):
        kid = init_keys(tmp_path / "keys")
        path = tmp_path / "keys" / f"ed25519-{kid}.pem"
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
        assert path.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
        assert (tmp_path / "keys" / "active").read_text().strip() == kid
        assert load_keyring(tmp_path / "keys").active_kid == kid

    def test_init_refuses_a_folder_that_has_keys(self, tmp_path):
        kid = init_keys(tmp_path)
        before = (tmp_path / f"ed25519-{kid}.pem").read_bytes()
        with pytest.raises(KeyRingError, match="rotate_keys"):
            init_keys(tmp_path)
        assert (tmp_path / f"ed25519-{kid}.pem").read_bytes() == before

    def test_rotation_keeps_old_credentials_verifiable_and_signs_with_the_new_key(self, tmp_path):
        old_kid = init_keys(tmp_path)
        old_ring = load_keyring(tmp_path)
        old_token = signed(make_credential(make_snapshot()), old_ring)
        new_kid = rotate_keys(tmp_path)
        ring = load_keyring(tmp_path)
        assert new_kid != old_kid and ring.active_kid == new_kid
        assert set(ring.public_keys()) == {old_kid, new_kid}
        assert verify(old_token, ring.public_keys())
        new_token = signed(make_credential(make_snapshot()), ring)
        assert decode_part(new_token.split(".")[0])["kid"] == new_kid
        assert verify(new_token, ring.public_keys())

    def test_rotate_needs_an_existing_ring(self, tmp_path):
        with pytest.raises(KeyRingError, match="init_keys"):
            rotate_keys(tmp_path)

    def test_jwks_shape(self, tmp_path):
        init_keys(tmp_path)
        rotate_keys(tmp_path)
        ring = load_keyring(tmp_path)
        jwks = ring.jwks()
        assert set(jwks) == {"keys"} and len(jwks["keys"]) == 2
        for jwk in jwks["keys"]:
            assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
            assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
            assert len(base64.urlsafe_b64decode(jwk["x"] + "=")) == 32
            assert jwk["kid"] == key_id(ring.public_keys()[jwk["kid"]])

    def test_kid_is_the_rfc_7638_thumbprint(self):
        # RFC 8037, appendix A.1-A.3: the example Ed25519 key and its thumbprint.
        secret = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
        public = Ed25519PrivateKey.from_private_bytes(secret).public_key()
        assert public_jwk(public)["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        assert key_id(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

    def test_loose_permissions_are_refused(self, tmp_path):
        kid = init_keys(tmp_path)
        os.chmod(tmp_path / f"ed25519-{kid}.pem", 0o644)
        with pytest.raises(KeyRingError, match="chmod 600"):
            load_keyring(tmp_path)

    def test_a_renamed_key_file_is_caught(self, tmp_path):
        kid = init_keys(tmp_path)
        (tmp_path / f"ed25519-{kid}.pem").rename(tmp_path / "ed25519-renamed.pem")
        (tmp_path / "active").write_text("renamed\n")
        with pytest.raises(KeyRingError, match="does not hold the key its name says"):
            load_keyring(tmp_path)

    def test_a_missing_or_dangling_active_file_is_refused(self, tmp_path):
        init_keys(tmp_path)
        (tmp_path / "active").write_text("nobody\n")
        with pytest.raises(KeyRingError, match="no key file"):
            load_keyring(tmp_path)
        (tmp_path / "active").unlink()
        with pytest.raises(KeyRingError, match="is missing"):
            load_keyring(tmp_path)


class TestContent:
    def test_the_holder_is_named_but_no_licence_number_is_disclosed(self):
        credential = make_credential(make_snapshot())
        subject = credential["credentialSubject"]
        assert subject["identifier"] == [{"type": "IdentityObject", "hashed": False,
                                          "identityHash": "Łukasz Nguyễn", "identityType": "name"}]
        assert "A123456" not in json.dumps(credential, ensure_ascii=False)
        assert "licenseNumber" not in subject

    def test_hours_dates_and_statements(self):
        credential = make_credential(make_snapshot())
        subject = credential["credentialSubject"]
        assert subject["creditsEarned"] == 1.5
        assert subject["activityEndDate"] == "2025-03-14T00:00:00Z"
        assert credential["validFrom"] == "2025-03-15T00:00:00Z"
        assert credential["validUntil"] == "2099-03-15T23:59:59Z"
        assert STATEMENT in subject["achievement"]["description"]
        assert subject["achievement"]["version"] == "2.1.0"
        assert make_credential(make_snapshot(ce_hours=12))["credentialSubject"]["creditsEarned"] == 12

    def test_a_program_names_its_course_certificates(self):
        courses = (("Course A", new_code()), ("Course B", new_code()))
        credential = make_credential(make_snapshot(kind="program", program_courses=courses))
        assert credential["name"].startswith("Program Certificate of Completion: ")
        description = credential["credentialSubject"]["achievement"]["description"]
        for title, code in courses:
            assert f"{title} (certificate {display(code)})" in description

    def test_status_is_passed_through(self):
        status = {"id": f"{BASE}/status/1#42", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                  "statusListIndex": "42", "statusListCredential": f"{BASE}/status/1"}
        assert make_credential(make_snapshot(), status=status)["credentialStatus"] == status


def open_badges_validator():
    if not SCHEMA.is_file():
        missing("Open Badges schema", "expected at ../shared/schemas/openbadges-3.0/")
    from jsonschema import Draft201909Validator, FormatChecker

    schema = json.loads(SCHEMA.read_text())
    Draft201909Validator.check_schema(schema)
    # jsonschema checks "date-time" only with an optional package; check RFC 3339 here.
    formats = FormatChecker()
    formats.checks("date-time")(lambda value: not isinstance(value, str) or bool(RFC3339.fullmatch(value)))
    return Draft201909Validator(schema, format_checker=formats)


RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@pytest.mark.parametrize("changes", [
    {},
    {"expires_on": None, "license_number": None, "license_state": None, "accreditation": ()},
    {"kind": "program", "program_courses": (("Course A", new_code()), ("Course B", new_code()))},
])
def test_the_signed_payload_is_a_valid_open_badges_3_credential(ring, changes):
    """Validate what a verifier receives (the JWT payload), not only what we built.

    The schema's $refs all point inside the file (#/$defs/...), so validation
    needs no network and no registry of other schemas.
    """
    validator = open_badges_validator()
    token = signed(make_credential(make_snapshot(**changes), status={"id": f"{BASE}/status/1#3",
                                                                      "type": "BitstringStatusListEntry"}), ring)
    payload = decode_part(token.split(".")[1])
    errors = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


def test_the_schema_catches_a_broken_credential():
    validator = open_badges_validator()
    credential = make_credential(make_snapshot())
    del credential["credentialSubject"]["achievement"]["criteria"]
    credential["type"] = ["VerifiableCredential"]
    credential["validFrom"] = "15 March 2025"
    assert len(list(validator.iter_errors(credential))) == 3
