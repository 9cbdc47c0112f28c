"""The certificate as an Open Badges 3.0 credential, signed as a VC-JWT with Ed25519.

`build_credential` turns a Snapshot into an OpenBadgeCredential (W3C VC Data
Model 2.0 with the OB 3.0 context); `sign` secures it per "Securing
Verifiable Credentials using JOSE and COSE": a compact JWS whose payload is
the credential itself, typ "vc+jwt". `verify` is what /verify/<code>.json
consumers (and our own tests) do, with a reason a person can act on when it
fails.

Choices worth knowing:

* The holder is identified by name only, as an IdentityObject with
  identityType "name" and hashed false. The name is already printed on the
  public verification page, and hashing a name or a licence number would
  protect nothing: with the salt published next to the hash, such short
  values are guessed in seconds. Email and licence number are left out.
* Snapshot dates are calendar dates: validFrom is the issue date at 00:00 UTC
  and validUntil the expiry date at 23:59:59 UTC, so a certificate "expiring
  on 15 March" is still valid on that day. The web layer should therefore
  record the issue date in UTC.
* The payload also carries the JWT registered claims that OB 3.0 maps onto
  the credential (iss = issuer.id, jti = id, nbf = validFrom, exp =
  validUntil), so generic JWT tooling reads the same validity; they are
  derived from the credential, never set independently, and `verify` rejects
  a token where they disagree. There is no iat, so signing the same
  credential twice gives the same token (Ed25519 is deterministic).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from academy.certificates.codes import display
from academy.certificates.keys import b64url
from academy.certificates.snapshot import Snapshot

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
# The OB 3.0 schema accepts AchievementCredential or OpenBadgeCredential;
# the spec's examples and most wallets use the latter.
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
ALG, TYP = "EdDSA", "vc+jwt"
REGISTERED_CLAIMS = ("iss", "jti", "nbf", "exp")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class CredentialInvalid(Exception):
    """A token that does not verify; `reason` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def build_credential(snapshot: Snapshot, *, issuer_id: str, issuer_name: str, verify_url: str,
                     achievement_id: str, status: dict | None = None) -> dict:
    """The OpenBadgeCredential for `snapshot`, unsigned; `status` becomes credentialStatus."""
    credential: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": verify_url,
        "type": list(CREDENTIAL_TYPE),
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": _timestamp(snapshot.issue_date, time(0, 0, 0)),
        "name": f"{_title(snapshot)}: {snapshot.course_title}",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "hashed": False,
                "identityHash": snapshot.holder_name,
                "identityType": "name",
            }],
            "activityEndDate": _timestamp(snapshot.completion_date, time(0, 0, 0)),
            "creditsEarned": _number(snapshot.ce_hours),
            "achievement": _achievement(snapshot, achievement_id, issuer_id, issuer_name),
        },
    }
    if snapshot.expires_on is not None:
        credential["validUntil"] = _timestamp(snapshot.expires_on, time(23, 59, 59))
    if status is not None:
        credential["credentialStatus"] = status
    return credential


def sign(credential: dict, private_key: Ed25519PrivateKey, kid: str) -> str:
    """Compact JWS (header.payload.signature, base64url without padding) over the credential."""
    header = {"alg": ALG, "typ": TYP, "kid": kid}
    payload = {**credential, **_registered_claims(credential)}
    signing_input = f"{_encode_json(header)}.{_encode_json(payload)}"
    signature = private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def verify(token: str, keys: dict[str, Ed25519PublicKey], *, now: datetime | None = None) -> dict:
    """Return the credential in `token`, or raise CredentialInvalid saying why it cannot be trusted.

    The signature is checked before anything in the payload is believed, so
    an altered credential always reads "bad signature" rather than whatever
    the alteration claims. `now` (timezone-aware) is for tests.
    """
    header_part, payload_part, signature_part = _split(token)
    header = _decode_json(header_part, "header")
    if header.get("alg") != ALG:
        raise CredentialInvalid(f"unsupported algorithm {header.get('alg')!r}: only EdDSA is accepted")
    if header.get("typ") != TYP:
        raise CredentialInvalid(f"unexpected token type {header.get('typ')!r}: expected {TYP!r}")
    if "crit" in header:
        raise CredentialInvalid("unsupported critical header parameters")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in keys:
        raise CredentialInvalid(f"unknown key id {kid!r}: not one of the issuer's keys")
    try:
        keys[kid].verify(_decode(signature_part, "signature"), f"{header_part}.{payload_part}".encode("ascii"))
    except InvalidSignature:
        raise CredentialInvalid("bad signature: the token was altered, or not signed by this issuer") from None
    payload = _decode_json(payload_part, "payload")
    credential = {name: value for name, value in payload.items() if name not in REGISTERED_CLAIMS}
    _check_claims(payload, credential)
    _check_validity(credential, now or datetime.now(timezone.utc))
    return credential


def _title(snapshot: Snapshot) -> str:
    return "Program Certificate of Completion" if snapshot.kind == "program" else "Certificate of Completion"


def _achievement(snapshot: Snapshot, achievement_id: str, issuer_id: str, issuer_name: str) -> dict:
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": snapshot.course_title,
        "version": snapshot.course_version,
        "description": _description(snapshot),
        "criteria": {"narrative": _criteria(snapshot)},
        "creditsAvailable": _number(snapshot.ce_hours),
        "creator": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
    }


def _description(snapshot: Snapshot) -> str:
    """What the certificate says, accreditation statements verbatim, as one plain text."""
    what = "the program" if snapshot.kind == "program" else "the course"
    lines = [
        f"Completion of {what} {snapshot.course_title}, version {snapshot.course_version}: "
        f"{_number(snapshot.ce_hours)} CE hours. Delivery format: {snapshot.delivery_format}. "
        f"Provider: {snapshot.provider_name}."
    ]
    if snapshot.program_courses:
        lines.append("Courses completed: " + "; ".join(
            f"{title} (certificate {display(code)})" for title, code in snapshot.program_courses))
    lines.extend(entry["statement"] for entry in snapshot.accreditation)
    return "\n\n".join(lines)


def _criteria(snapshot: Snapshot) -> str:
    if snapshot.kind == "program":
        return "Completed every course of the program, each with its own certificate."
    return "Completed every module of this course version and passed its post-test."


def _registered_claims(credential: dict) -> dict[str, Any]:
    """The JWT claims OB 3.0 maps onto the credential, derived from it."""
    claims = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": _epoch(credential["validFrom"]),
    }
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


def _check_claims(payload: dict, credential: dict) -> None:
    try:
        expected = _registered_claims(credential)
    except (KeyError, TypeError, ValueError):
        raise CredentialInvalid("malformed credential: issuer, id or validity missing or not valid") from None
    present = {name: payload[name] for name in REGISTERED_CLAIMS if name in payload}
    if present != expected:
        raise CredentialInvalid("the JWT claims (iss, jti, nbf, exp) disagree with the credential")


def _check_validity(credential: dict, now: datetime) -> None:
    valid_from = _parse_timestamp(credential["validFrom"])
    if now < valid_from:
        raise CredentialInvalid(f"not yet valid: valid from {credential['validFrom']}")
    if "validUntil" in credential and now > _parse_timestamp(credential["validUntil"]):
        raise CredentialInvalid(f"expired on {credential['validUntil']}")


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not all(parts):
        raise CredentialInvalid("malformed token: expected header.payload.signature")
    return parts[0], parts[1], parts[2]


def _decode(part: str, what: str) -> bytes:
    if not _BASE64URL.fullmatch(part):
        raise CredentialInvalid(f"malformed token: the {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except binascii.Error:
        raise CredentialInvalid(f"malformed token: the {what} is not base64url") from None


def _decode_json(part: str, what: str) -> dict:
    try:
        value = json.loads(_decode(part, what))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CredentialInvalid(f"malformed token: the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise CredentialInvalid(f"malformed token: the {what} is not a JSON object")
    return value


def _encode_json(value: dict) -> str:
    return b64url(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _timestamp(day: date, at: time) -> str:
    """RFC 3339 in UTC with a Z, the form VC 2.0 examples and validators expect."""
    return datetime.combine(day, at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise CredentialInvalid(f"malformed credential: {text!r} is not a date-time") from None
    if moment.tzinfo is None:
        raise CredentialInvalid(f"malformed credential: {text!r} has no time zone")
    return moment


def _epoch(text: str) -> int:
    return int(_parse_timestamp(text).timestamp())


def _number(value: Decimal) -> int | float:
    """JSON number for hours: 12 stays an integer, 1.5 becomes a float (exact for quarter hours)."""
    return int(value) if value == value.to_integral_value() else float(value)
