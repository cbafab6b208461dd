"""The Celery brokers: a worker outlives Redis going away, and on the embedded file-system
broker no process reads a message that is still being written (kombu issue #1551)."""

import os
import resource
from contextlib import contextmanager
from queue import Empty

import pytest
import redis
from django.conf import settings
from kombu import Connection, Exchange, Queue
from kombu.exceptions import ChannelError

from crieur.broker import FileSystemTransport
from crieur.celery import RedisTransport, app


@pytest.mark.services
def test_a_channel_that_cannot_close_keeps_no_other_channel_open():
    """When Redis goes away, the remote-control channel cannot delete its queue on close.
    The tasks' channel, holding the acks_late messages, must still be closed while the
    transport is attached: closed later, it crashed the worker's main process."""
    connection = Connection(settings.CELERY_BROKER_URL, transport=RedisTransport)
    tasks = connection.channel()
    remote_control = connection.channel()

    def refused():
        raise redis.exceptions.ConnectionError("Connection refused")

    remote_control.close = refused

    with pytest.raises(redis.exceptions.ConnectionError):
        connection.transport.close_connection(connection.connection)

    assert tasks.closed
    connection.release()


# -- The embedded broker (kombu's file-system transport, crieur.broker) -------------------


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "queue").mkdir()
    return {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }


@pytest.fixture
def connect(folders):
    """Connections to one broker folder, as the web process, beat and the worker make."""
    opened = []

    def connect():
        connection = Connection(
            "filesystem://", transport=FileSystemTransport, transport_options=folders
        )
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        connection.release()


@pytest.fixture
def writer(connect):
    return connect().channel()


@pytest.fixture
def reader(connect):
    return connect().channel()


def message(body="publish 42") -> dict:
    return {"body": body, "properties": {"delivery_tag": "1"}, "headers": {}}


class ReaderLooks:
    """A part of a message that, while the writer turns it into bytes, lets a reader
    look at the queue: kombu's writer has then already created the message's file."""

    def __init__(self, reader):
        self.reader, self.found = reader, "nothing yet"

    def __json__(self):
        try:
            self.found = self.reader._get("celery")
        except Empty:
            self.found = None
        return "publish 42"


@contextmanager
def file_size_limit(limit: int):
    """Files this process writes stop growing at `limit` bytes (as on a full disk)."""
    before = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, before)


def test_a_reader_looking_while_a_message_is_written_finds_nothing_then_all_of_it(writer, reader):
    looks = ReaderLooks(reader)

    writer._put("celery", message(body=looks))

    assert looks.found is None
    assert reader._get("celery") == message()


def test_a_message_whose_writing_is_cut_short_never_reaches_a_reader(writer, reader):
    with file_size_limit(64 * 1024), pytest.raises(ChannelError):
        writer._put("celery", message(body="x" * 256 * 1024))

    assert reader._size("celery") == 0
    with pytest.raises(Empty):
        reader._get("celery")
    writer._put("celery", message())
    assert reader._get("celery") == message()


@pytest.mark.parametrize("content", [b"", b'{"body": "publ', b"\xff\xfe", b"[1, 2]"])
def test_an_unreadable_message_is_set_aside_and_the_next_one_delivered(
    writer, reader, folders, caplog, content
):
    """What another program, a full disk or an older writer left: the worker logs it,
    keeps it for a person to look at, and goes on."""
    queue = folders["data_folder_in"]
    with open(f"{queue}/1_left.celery.msg", "wb") as file:
        file.write(content)
    writer._put("celery", message())

    assert reader._get("celery") == message()
    with pytest.raises(Empty):
        reader._get("celery")
    with open(f"{queue}/1_left.celery.msg.unreadable", "rb") as file:
        assert file.read() == content
    assert "unreadable broker message" in caplog.text


def test_a_message_goes_to_one_reader_only(connect, writer):
    readers = [connect().channel() for _ in range(3)]
    writer._put("celery", message())

    found = []
    for reader in readers:
        try:
            found.append(reader._get("celery"))
        except Empty:
            pass

    assert found == [message()]


def test_a_routing_table_left_empty_reads_as_no_binding_and_takes_bindings(connect, folders):
    """kombu created a table empty and wrote it afterwards: a process reading it in
    between died on it. An empty table is one without bindings yet."""
    control = folders["control_folder"]
    os.makedirs(control)
    open(f"{control}/celery.pidbox.exchange", "wb").close()
    channel = connect().channel()

    assert channel.get_table("celery.pidbox") == []
    channel._queue_bind("celery.pidbox", "", "", "worker-1.celery.pidbox")
    assert [binding.queue for binding in channel.get_table("celery.pidbox")] == [
        "worker-1.celery.pidbox"
    ]


def test_a_fanout_message_reaches_every_bound_queue_from_another_connection(connect):
    """Celery's remote control: each worker binds its own queue to the fan-out exchange
    (their bindings kept side by side in one table), and a message sent once from
    another process reaches all of them."""
    broadcast = Exchange("celery.pidbox", type="fanout")
    workers = []
    for name in ("worker-1", "worker-2"):
        connection = connect()
        queue = Queue(f"{name}.celery.pidbox", exchange=broadcast)
        queue(connection.channel()).declare()
        workers.append(connection.SimpleQueue(queue))

    with connect() as sender:
        sender.Producer().publish({"method": "ping"}, exchange=broadcast, declare=[broadcast])

    for worker in workers:
        received = worker.get(timeout=1)
        assert received.payload == {"method": "ping"}
        received.ack()
        worker.close()


def test_the_celery_app_uses_crieurs_fixed_transport_on_either_broker():
    expected = RedisTransport if settings.REDIS_URL else FileSystemTransport
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, expected)
