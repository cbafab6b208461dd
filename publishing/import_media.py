"""The images a row of an import names: fetched from a web address with limits (time,
size, image types only, never a private address) or read from the ZIP file uploaded with
the sheet, kept aside while the report is read, then made Wagtail images by the import."""

import hashlib
import io
import ipaddress
import re
import socket
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.storage import default_storage
from django.utils.text import slugify
from django.utils.translation import gettext
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

# Wagtail's own upload limit for an image.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# A picture larger than this (in pixels) is refused before it is decoded: a small file
# can unpack to gigabytes of pixels.
MAX_PIXELS = 40_000_000
# Pillow's format name → the file extension kept (the types Wagtail accepts here).
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
CONTENT_TYPES = {"image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/gif", "image/webp"}

# Fetching: each address gets a few seconds; a whole file gets a minute, after which the
# images not yet fetched are reported (the ZIP file is the way for many images).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
FETCH_BUDGET = 60.0
MAX_REDIRECTS = 3
MAX_ADDRESSES = 200  # distinct web addresses in one file
STANDARD_PORTS = {"http": 80, "https": 443}
CHUNK = 64 * 1024

# The ZIP file of images.
MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 1000

# Where images wait between the check and the import, per job.
STAGING_DIR = "imports"


class ImageRefused(Exception):
    """One image cannot be used: the message says why, for the row's report."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ArchiveRefused(Exception):
    """The ZIP file as a whole cannot be used."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _megabytes(size: int) -> int:
    return size // (1024 * 1024)


# -- The picture itself -----------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    format: str  # Pillow's name: JPEG, PNG, GIF, WEBP
    width: int
    height: int


def picture_read(data: bytes) -> Picture:
    """What `data` holds, if it is an image of an accepted type and size (never trusts
    a file name or a Content-Type: the bytes say)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused(_too_large())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > MAX_PIXELS:
                    raise ImageRefused(_too_many_pixels())
                image.verify()
    except ImageRefused:
        raise
    except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
        raise ImageRefused(_too_many_pixels()) from None
    except (PILImage.UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused(
            gettext("this file is not an image that can be read: use a JPEG, PNG, GIF or WebP.")
        ) from None
    if kind not in FORMATS:
        raise ImageRefused(
            gettext("%(format)s images are not accepted: use a JPEG, PNG, GIF or WebP.")
            % {"format": kind}
        )
    return Picture(format=kind, width=width, height=height)


def _too_large() -> str:
    return gettext("the image is larger than %(max)d MB: make it lighter.") % {
        "max": _megabytes(MAX_IMAGE_BYTES)
    }


def _too_many_pixels() -> str:
    return gettext(
        "the image has more than %(max)d million pixels: make it smaller (3000 pixels "
        "wide is plenty for every network)."
    ) % {"max": MAX_PIXELS // 1_000_000}


# -- Fetching from the web (SSRF care) ----------------------------------------------------


def _allowed_networks() -> list:
    return [
        ipaddress.ip_network(network, strict=False)
        for network in getattr(settings, "CRIEUR_IMPORT_FETCH_ALLOWED_NETWORKS", [])
    ]


def _is_allowed(address, allowed) -> bool:
    """Whether Crieur may connect to `address`: a public one, or one of the networks the
    settings open (an intranet image server, a test server)."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed if network.version == address.version):
        return True
    return address.is_global and not address.is_multicast


def _unreachable(reason: str) -> ImageRefused:
    return ImageRefused(gettext("this address cannot be fetched: %(reason)s.") % {"reason": reason})


@dataclass
class Fetcher:
    """Fetches images from web addresses for one file: each address once, within a time
    budget for the whole file, connecting only to the address it checked (no second DNS
    look-up that could answer differently), following at most a few redirects, each
    checked again."""

    budget: float = FETCH_BUDGET
    started: float = field(default_factory=time.monotonic)
    fetched: dict = field(default_factory=dict)  # url → (final url, bytes) or ImageRefused

    def fetch(self, url: str) -> tuple[str, bytes]:
        """(the address the image was found at, after redirects; its bytes)."""
        if url not in self.fetched:
            if len(self.fetched) >= MAX_ADDRESSES:
                raise ImageRefused(
                    gettext(
                        "the file names more than %(max)d web addresses: put the images in a "
                        "ZIP file uploaded with the sheet instead."
                    )
                    % {"max": MAX_ADDRESSES}
                )
            try:
                self.fetched[url] = self._follow(url)
            except ImageRefused as refused:
                self.fetched[url] = refused
        outcome = self.fetched[url]
        if isinstance(outcome, ImageRefused):
            raise outcome
        return outcome

    def _left(self) -> float:
        left = self.budget - (time.monotonic() - self.started)
        if left <= 0:
            raise ImageRefused(
                gettext(
                    "the time for fetching this file's images ran out before this one: put "
                    "the images in a ZIP file uploaded with the sheet instead."
                )
            )
        return left

    def _follow(self, url: str) -> tuple[str, bytes]:
        for _hop in range(MAX_REDIRECTS + 1):
            _status, location, body = self._get(url)
            if location is None:
                return url, body
            url = urljoin(url, location)
        raise _unreachable(gettext("it redirects too many times"))

    def _target(self, url: str):
        """(scheme, host, port, address to connect to, path) of `url`, once checked."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise _unreachable(gettext("it is not a valid web address")) from None
        scheme = parts.scheme.lower()
        if scheme not in STANDARD_PORTS or not parts.hostname:
            raise _unreachable(gettext("only http and https addresses are fetched"))
        if parts.username or parts.password:
            raise _unreachable(gettext("addresses with a user name or password are not fetched"))
        host = parts.hostname
        port = port or STANDARD_PORTS[scheme]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            raise _unreachable(gettext("its server name is not found")) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        allowed = _allowed_networks()
        if not addresses or not all(_is_allowed(a, allowed) for a in addresses):
            raise _unreachable(gettext("it points at a private or local address"))
        opened = any(a in n for a in addresses for n in allowed if n.version == a.version)
        if port != STANDARD_PORTS[scheme] and not opened:
            raise _unreachable(gettext("only the standard ports (80, 443) are fetched"))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return scheme, host, port, str(addresses[0]), path

    def _get(self, url: str) -> tuple[int, str | None, bytes]:
        scheme, host, port, address, path = self._target(url)
        left = self._left()
        timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT, left), read=min(READ_TIMEOUT, left))
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                timeout=timeout,
                retries=False,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        host_header = host if port == STANDARD_PORTS[scheme] else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if port == STANDARD_PORTS[scheme] else f"[{host}]:{port}"
        try:
            response = pool.urlopen(
                "GET",
                path,
                headers={
                    "Host": host_header,
                    "User-Agent": "Crieur (bulk import of posts)",
                    "Accept": "image/jpeg, image/png, image/gif, image/webp",
                    "Accept-Encoding": "identity",
                },
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                return self._answer(response)
            finally:
                response.release_conn()
        except (urllib3.exceptions.TimeoutError, TimeoutError):
            raise _unreachable(gettext("its server did not answer in time")) from None
        except urllib3.exceptions.SSLError:
            raise _unreachable(gettext("its server's certificate is not valid")) from None
        except (urllib3.exceptions.HTTPError, OSError):
            raise _unreachable(gettext("its server cannot be reached")) from None
        finally:
            pool.close()

    def _answer(self, response) -> tuple[int, str | None, bytes]:
        if response.status in (301, 302, 303, 307, 308):
            location = response.headers.get("Location")
            if not location:
                raise _unreachable(gettext("it redirects nowhere"))
            return response.status, location, b""
        if response.status != 200:
            raise _unreachable(
                gettext("its server answered %(status)d") % {"status": response.status}
            )
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            raise ImageRefused(
                gettext(
                    "this address does not give an image (it gives “%(type)s”): write the "
                    "address of the image itself, ending for example in .jpg."
                )
                % {"type": content_type or "?"}
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
            raise ImageRefused(_too_large())
        body = bytearray()
        for chunk in response.stream(CHUNK, decode_content=False):
            body += chunk
            if len(body) > MAX_IMAGE_BYTES:
                raise ImageRefused(_too_large())
            self._left()  # a server that drips its answer stops here
        return response.status, None, bytes(body)


# -- The ZIP file of images -------------------------------------------------------------


def _zip_key(name: str) -> str:
    return str(PurePosixPath(name.replace("\\", "/").strip().lstrip("./"))).casefold()


class ImageArchive:
    """The ZIP file uploaded with the sheet; images are read from it by their name, only
    those the rows name, each within the size limit."""

    def __init__(self, fileobj, *, size: int):
        if size > MAX_ARCHIVE_BYTES:
            raise ArchiveRefused(
                gettext("The ZIP file of images is larger than %(max)d MB: split the import.")
                % {"max": _megabytes(MAX_ARCHIVE_BYTES)}
            )
        try:
            self.zip = zipfile.ZipFile(fileobj)
            members = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            raise ArchiveRefused(
                gettext(
                    "The file of images is not a readable ZIP file: make a ZIP of the images "
                    "and upload it again."
                )
            ) from None
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise ArchiveRefused(
                gettext(
                    "The ZIP file holds more than %(max)d files: put only the images of the "
                    "sheet in it."
                )
                % {"max": MAX_ARCHIVE_MEMBERS}
            )
        self.by_path: dict[str, zipfile.ZipInfo] = {}
        self.by_name: dict[str, list[zipfile.ZipInfo]] = {}
        for member in members:
            if member.is_dir() or member.filename.startswith("__MACOSX/"):
                continue
            key = _zip_key(member.filename)
            self.by_path[key] = member
            self.by_name.setdefault(PurePosixPath(key).name, []).append(member)

    def read(self, name: str) -> bytes:
        key = _zip_key(name)
        member = self.by_path.get(key)
        if member is None:
            found = self.by_name.get(PurePosixPath(key).name, [])
            if len(found) > 1:
                raise ImageRefused(
                    gettext(
                        "several files of the ZIP file have this name: write its folder too, "
                        "for example %(example)s."
                    )
                    % {"example": found[0].filename}
                )
            if not found:
                raise ImageRefused(
                    gettext(
                        "the ZIP file has no such file: check the name (and its folder) or "
                        "add the image to the ZIP file."
                    )
                )
            member = found[0]
        if member.file_size > MAX_IMAGE_BYTES:
            raise ImageRefused(_too_large())
        if member.flag_bits & 0x1:
            raise ImageRefused(gettext("this file of the ZIP is protected by a password."))
        try:
            # zipfile never unpacks a member past its declared size (checked above).
            return self.zip.read(member)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, OSError):
            raise ImageRefused(gettext("this file of the ZIP cannot be read.")) from None


# -- Keeping images aside, then making them Wagtail images -----------------------------


def _file_name(source: str, kind: str) -> str:
    """A tidy file name for the image: the last part of the address or path, its
    extension set from what the bytes are."""
    last = re.split(r"[/\\]", urlsplit(source).path if "://" in source else source)[-1]
    stem = slugify(PurePosixPath(last).stem)[:80] or "image"
    return f"{stem}.{FORMATS[kind]}"


@dataclass
class Stager:
    """Reads or fetches each image a row names, checks it and keeps it aside for `job_id`
    (each source once per file)."""

    job_id: int
    archive: ImageArchive | None = None
    fetcher: Fetcher = field(default_factory=Fetcher)
    staged: dict = field(default_factory=dict)  # source → dict or ImageRefused

    def stage(self, source: str) -> dict:
        if source not in self.staged:
            try:
                self.staged[source] = self._stage(source)
            except ImageRefused as refused:
                self.staged[source] = refused
        outcome = self.staged[source]
        if isinstance(outcome, ImageRefused):
            raise outcome
        return outcome

    def _stage(self, source: str) -> dict:
        name = source
        if re.match(r"^https?://", source, re.IGNORECASE):
            name, data = self.fetcher.fetch(source)
        elif "://" in source:
            raise _unreachable(gettext("only http and https addresses are fetched"))
        elif self.archive is None:
            raise ImageRefused(
                gettext(
                    "this is not a web address, and no ZIP file of images was uploaded with "
                    "the sheet: upload the images in a ZIP file with it, or write their web "
                    "addresses (https://…)."
                )
            )
        else:
            data = self.archive.read(source)
        picture = picture_read(data)
        digest = hashlib.sha256(data).hexdigest()
        path = f"{STAGING_DIR}/{self.job_id}/{digest}.{FORMATS[picture.format]}"
        if not default_storage.exists(path):
            path = default_storage.save(path, ContentFile(data))
        return {
            "file": path,
            "name": _file_name(name, picture.format),
            "format": picture.format.lower(),
            "width": picture.width,
            "height": picture.height,
        }


def image_create(staged: dict, *, by):
    """The Wagtail image of a staged file: the library's image with the same bytes if
    there is one (an image used by many rows is made once), else a new one."""
    Image = get_image_model()
    try:
        with default_storage.open(staged["file"]) as kept:
            data = kept.read()
    except (OSError, KeyError):
        raise ImageRefused(
            gettext("the image kept since the check is gone: upload the file again.")
        ) from None
    file_hash = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    existing = Image.objects.filter(file_hash=file_hash).order_by("pk").first()
    if existing is not None:
        return existing
    title = PurePosixPath(staged["name"]).stem.replace("-", " ")[:255] or "image"
    image = Image(title=title, uploaded_by_user=by, collection=Collection.get_first_root_node())
    image.file = ImageFile(io.BytesIO(data), name=staged["name"])
    image._set_image_file_metadata()  # size and hash, as Wagtail's upload form does
    image.save()
    return image


def staged_delete(*, job_id: int) -> None:
    """Forget the images kept aside for a job once it is over."""
    folder = f"{STAGING_DIR}/{job_id}"
    try:
        _folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
