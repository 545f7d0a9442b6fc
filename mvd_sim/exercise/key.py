"""The answer key of an exercise, sealed so that opening the exercise's files cannot show it.

The key (a JSON document: the case's contacts, culprits and pattern, and the sampler's
diagnosis) is encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag, from the
``cryptography`` package) under a key derived from a secret with scrypt (n = 2**14, r = 8,
p = 1; a random 16-byte salt per exercise, stored in the sealed file). The tag also makes the
key tamper-evident: a key edited or sealed under another secret does not open.

The secret is, in order: the ``--key`` option (``secret`` here), the environment variable
:data:`SECRET_ENV`, or a per-installation secret file (:func:`installation_secret_path`, 32
random bytes made on first use, readable by its owner only). A programme director hands out
exercises made with a secret of their own and keeps it; a fellow practising alone uses the
installation's.

What this protects against, and what not: reading the folder's files does not reveal the
answer. Running the contact engine on the exercise's scenario (``mvd-sim analyze``) does: the
answer is the geometry's, and the scenario must carry the geometry for the trainee to
rehearse pads on it (see the README's section for fellows).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from pathlib import Path

from mvd_sim.core.errors import MvdSimError

__all__ = ["SECRET_ENV", "SEALED_PREFIX", "ExerciseKeyError", "installation_secret_path",
           "exercise_secret", "seal", "unseal"]

#: Environment variable holding the exercise secret (below ``--key``, above the installation's).
SECRET_ENV = "MVD_SIM_EXERCISE_KEY"
#: First line of a sealed key file (its format and version).
SEALED_PREFIX = b"mvd-sim sealed exercise key v1\n"
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
_SALT_BYTES = 16


class ExerciseKeyError(MvdSimError):
    """An answer key that cannot be opened: another secret, or a damaged or edited file."""


def installation_secret_path() -> Path:
    """The per-installation secret file: ``exercise.secret`` in the user's data folder
    (platformdirs), e.g. ``~/.local/share/mvd-sim/exercise.secret`` on Linux."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("mvd-sim", appauthor=False)) / "exercise.secret"


def _installation_secret() -> bytes:
    """The installation's secret, made (32 random bytes, hex, mode 0600) if missing; two
    processes making it at once agree on one (the file is created exclusively)."""
    path = installation_secret_path()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_hex(32).encode("ascii"))
        out.flush()
        os.fsync(out.fileno())
    return path.read_bytes().strip()


def exercise_secret(secret: str | None = None) -> bytes:
    """The secret that seals and opens answer keys: ``secret`` (``--key``), else
    ``$MVD_SIM_EXERCISE_KEY``, else the installation's (:func:`installation_secret_path`)."""
    if secret:
        return secret.encode("utf-8")
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode("utf-8")
    return _installation_secret()


def _fernet(secret: bytes, salt: bytes):
    from cryptography.fernet import Fernet

    key = hashlib.scrypt(secret, salt=salt, **_SCRYPT)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(document: dict, secret: bytes) -> bytes:
    """The bytes of a sealed key file holding ``document`` (JSON-serialisable)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    token = _fernet(secret, salt).encrypt(json.dumps(document, sort_keys=True).encode("utf-8"))
    return SEALED_PREFIX + base64.urlsafe_b64encode(salt) + b"\n" + token + b"\n"


def unseal(data: bytes, secret: bytes, source: str = "key.sealed") -> dict:
    """The document of a sealed key file's bytes.

    Raises
    ------
    ExerciseKeyError
        One line naming ``source``: not a sealed key, or it does not open with ``secret``
        (another secret, or an edited file).
    """
    from cryptography.fernet import InvalidToken

    if not data.startswith(SEALED_PREFIX):
        raise ExerciseKeyError(f"{source}: not an mvd-sim sealed exercise key")
    try:
        salt_text, token = data[len(SEALED_PREFIX):].split(b"\n")[:2]
        plain = _fernet(secret, base64.urlsafe_b64decode(salt_text)).decrypt(token)
    except (ValueError, InvalidToken):
        raise ExerciseKeyError(
            f"{source}: the answer key does not open with this secret (give the secret it "
            f"was made with: --key or ${SECRET_ENV}; or the file was edited)") from None
    return json.loads(plain)
