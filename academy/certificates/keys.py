"""The signing key ring: Ed25519 keys in one folder, one of them active.

Layout of the folder (created 0700):

    ed25519-<kid>.pem   PKCS#8 private key, mode 0600, never overwritten
    active              the kid that signs new credentials

Rotation adds a key and moves `active`; older keys stay so that every
credential issued before keeps verifying against the published JWKS. The kid
is the RFC 7638 JWK thumbprint of the public key, so anyone holding the JWKS
can recompute it, and a renamed file is caught on load.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ACTIVE_FILE = "active"
KEY_PREFIX, KEY_SUFFIX = "ed25519-", ".pem"


class KeyRingError(Exception):
    """The key folder is missing, inconsistent or unsafe; the message says which and how to fix it."""


@dataclass(frozen=True)
class KeyRing:
    """The keys of one folder, by kid; `active_kid` signs new credentials."""

    active_kid: str
    private_keys: Mapping[str, Ed25519PrivateKey] = field(repr=False)

    def private_key(self, kid: str) -> Ed25519PrivateKey:
        return self.private_keys[kid]

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {kid: key.public_key() for kid, key in self.private_keys.items()}

    def jwks(self) -> dict:
        """The public keys as a JSON Web Key Set, for verifiers to fetch."""
        return {"keys": [
            {**public_jwk(key), "kid": kid, "alg": "EdDSA", "use": "sig"}
            for kid, key in sorted(self.public_keys().items())
        ]}


def init_keys(directory: str | os.PathLike) -> str:
    """Create the folder's first key and make it active; refuse a folder that already has keys."""
    folder = Path(directory)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _key_files(folder) or (folder / ACTIVE_FILE).exists():
        raise KeyRingError(f"{folder} already holds signing keys: use rotate_keys to add one")
    return _add_key(folder)


def rotate_keys(directory: str | os.PathLike) -> str:
    """Add a key to an existing ring and make it active; the older keys stay for verification."""
    folder = Path(directory)
    load_keyring(folder)  # refuse to rotate a ring that would not load
    return _add_key(folder)


def load_keyring(directory: str | os.PathLike) -> KeyRing:
    """Read every key in the folder and the active kid, checking each file against its name."""
    folder = Path(directory)
    files = _key_files(folder)
    if not files:
        raise KeyRingError(f"no signing keys in {folder}: create one with init_keys")
    keys = {_kid_from_name(path): _read_private_key(path) for path in files}
    for kid, key in keys.items():
        if key_id(key.public_key()) != kid:
            raise KeyRingError(f"{folder / (KEY_PREFIX + kid + KEY_SUFFIX)} does not hold the key its name says")
    active = _read_active(folder)
    if active not in keys:
        raise KeyRingError(f"{folder / ACTIVE_FILE} names {active!r}, which has no key file")
    return KeyRing(active_kid=active, private_keys=keys)


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required JWK members, sorted, without whitespace."""
    jwk = public_jwk(public_key)
    canonical = json.dumps({name: jwk[name] for name in ("crv", "kty", "x")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes every binary value."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _add_key(folder: Path) -> str:
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: an existing file is never overwritten; 0600 from the first byte.
    descriptor = os.open(folder / f"{KEY_PREFIX}{kid}{KEY_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    _write_active(folder, kid)
    return kid


def _write_active(folder: Path, kid: str) -> None:
    """Replace `active` atomically, so a reader never sees it half written."""
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".active-")
    with os.fdopen(descriptor, "w") as handle:
        handle.write(kid + "\n")
    os.replace(temporary, folder / ACTIVE_FILE)


def _read_active(folder: Path) -> str:
    try:
        return (folder / ACTIVE_FILE).read_text().strip()
    except FileNotFoundError:
        raise KeyRingError(f"{folder / ACTIVE_FILE} is missing: it names the signing key") from None


def _key_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{KEY_PREFIX}*{KEY_SUFFIX}")) if folder.is_dir() else []


def _kid_from_name(path: Path) -> str:
    return path.name[len(KEY_PREFIX):-len(KEY_SUFFIX)]


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise KeyRingError(f"{path} can be read by other users: chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyRingError(f"{path} is not an Ed25519 private key")
    return key

