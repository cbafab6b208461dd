"""The embedded broker: kombu's file-system transport, which never reads a half-written file.

kombu's transport (kombu/transport/filesystem.py) writes a message by opening the file
under its final name and then writing into it: a worker listing the folder in between
takes the file while it is still empty and dies on it (`JSONDecodeError: Expecting value`
raised from `_get`, kombu issue #1551). Its routing tables (the control folder) have the
same race: a table is created empty and written afterwards, while another process may
read it. Here:

- a message is written under a name the readers skip (`<final name>.part`, which does not
  end in `<queue>.msg`) and renamed into place once complete, so a reader sees all of it
  or nothing; fan-out goes through the same `_put`;
- a reader takes a message by renaming it (atomic: of two readers, one wins) and reads
  it in place; a file that still cannot be read (left by another program, a full disk)
  is set aside as `<name>.unreadable` and logged, and the worker goes on;
- a routing table is created whole (written aside, then linked into place) and changed
  under its lock, so it is never seen empty.
"""

import logging
import os
import shutil
import uuid
from contextlib import suppress
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger("crieur.broker")

WRITING = ".part"  # a message or a table being written
TAKEN = ".taken"  # a message a reader has taken and is reading
UNREADABLE = ".unreadable"  # a message set aside for a person to look at


class FileSystemChannel(filesystem.Channel):
    """kombu's file-system channel, whose files are complete before anyone can see them."""

    def _put(self, queue, payload, **kwargs):
        data = str_to_bytes(dumps(payload))
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        _write_whole(final, data, place=os.replace)

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            path = os.path.join(self.data_folder_in, name)
            taken = path + TAKEN
            try:
                os.rename(path, taken)
            except OSError:
                continue  # another reader took it first
            try:
                with open(taken, "rb") as file:
                    data = file.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {taken!r} from queue.") from exc
            payload = _decoded(data)
            if payload is None:
                _set_aside(taken, path + UNREADABLE, data)
                continue
            self._done_with(taken, name)
            return payload
        raise Empty()

    def _done_with(self, taken: str, name: str) -> None:
        try:
            if self.store_processed:
                shutil.move(taken, os.path.join(self.processed_folder, name))
            else:
                os.remove(taken)
        except OSError as error:
            # The message is delivered all the same; the file stays, under a name no
            # reader takes.
            logger.warning("Cannot remove the broker message %s: %s", taken, error)

    # -- Routing tables (control folder) ----------------------------------------------

    def get_table(self, exchange):
        file = self._exchange_file(exchange)
        try:
            with open(file, "rb") as table:
                filesystem.lock(table, filesystem.LOCK_SH)
                try:
                    return _table(table.read(), file)
                finally:
                    filesystem.unlock(table)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._table_change(exchange, lambda table: table if binding in table else [binding, *table])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._table_change(exchange, lambda table: [b for b in table if b != binding])

    def _table_change(self, exchange, change) -> None:
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        # Created whole, "[]" at once: a reader never finds it empty.
        _write_whole(str(file), b"[]", place=_link_unless_there)
        try:
            with open(file, "rb+") as table:
                filesystem.lock(table, filesystem.LOCK_EX)
                try:
                    before = _table(table.read(), file)
                    after = change(before)
                    if after != before:
                        table.seek(0)
                        table.write(str_to_bytes(dumps(after)))
                        table.truncate()
                        table.flush()
                finally:
                    filesystem.unlock(table)
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc


class FileSystemTransport(filesystem.Transport):
    """The transport of the embedded default (settings: CELERY_BROKER_TRANSPORT)."""

    Channel = FileSystemChannel


def _write_whole(final: str, data: bytes, *, place) -> None:
    """Write `data` beside `final` under a name no reader takes, then `place` it there."""
    partial = f"{final}.{uuid.uuid4().hex}{WRITING}"
    try:
        with open(partial, "wb") as file:
            file.write(data)
        place(partial, final)
    except OSError as exc:
        raise ChannelError(f"Cannot add file {final!r} to directory") from exc
    finally:
        with suppress(OSError):
            os.remove(partial)


def _link_unless_there(partial: str, final: str) -> None:
    try:
        os.link(partial, final)
    except FileExistsError:
        pass
    except OSError:
        # No hard links on this file system: created in place, it may be seen empty for
        # an instant, which reads as a table with no binding yet.
        with suppress(FileExistsError), open(final, "xb") as file:
            file.write(b"[]")


def _decoded(data: bytes) -> dict | None:
    try:
        payload = loads(bytes_to_str(data))
    except ValueError:  # empty, cut short, not UTF-8 (JSONDecodeError, UnicodeDecodeError)
        return None
    return payload if isinstance(payload, dict) else None


def _set_aside(taken: str, aside: str, data: bytes) -> None:
    try:
        os.replace(taken, aside)
    except OSError:
        aside = taken
    logger.error(
        "An unreadable broker message (%d bytes: %r) is set aside in %s; "
        "the worker goes on with the next one",
        len(data),
        data[:80],
        aside,
    )


def _table(data: bytes, file) -> list:
    if not data:
        return []  # created by an older writer that had not written it yet
    try:
        return [filesystem.exchange_queue_t(*binding) for binding in loads(bytes_to_str(data))]
    except (ValueError, TypeError) as exc:
        raise ChannelError(f"Unreadable routing table {file}: {data[:80]!r}") from exc
