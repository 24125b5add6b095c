"""Files that survive a crash: atomic writes, published copies, and the lock
that keeps two runs out of one directory.

Every write goes to a temporary file (``.tmp-*``) in the target's directory,
is flushed to disk, and then renamed over the target: a reader sees the old
version or the new, never half of one. A process killed mid-write leaves a
temporary file behind; `remove_temporaries` deletes them.
"""

import contextlib
import contextvars
import datetime
import hashlib
import json
import os
import shutil
import socket
import tempfile

from filelock import FileLock, Timeout

from seqlab.errors import SeqlabError, UnsafeModelError

TEMPORARY_PREFIX = ".tmp-"


_loading = contextvars.ContextVar("seqlab_loading_model_file", default=None)


@contextlib.contextmanager
def loading_model_file(path):
    """Mark the building of components from a model file (see `check_may_read`)."""
    token = _loading.set(os.fspath(path))
    try:
        yield
    finally:
        _loading.reset(token)


def check_may_read(path, option):
    """Call before a component reads a file an option names (``pretrained``).

    Raises:
        UnsafeModelError: the option came from a model file being loaded: a
            model file may not make seqlab read other files (the saved
            weights already hold what the file gave).
    """
    loading = _loading.get()
    if loading is not None:
        raise UnsafeModelError(
            f"Refused to load {loading!r}: it asks to read {os.fspath(path)!r} "
            f"(option {option!r}). A model file may not make seqlab read other "
            f"files; a model saved by seqlab never does.")


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary(path):
    """A new, empty temporary file beside ``path`` (its name)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=TEMPORARY_PREFIX,
                                         suffix=os.path.basename(path))
    os.close(handle)
    # mkstemp creates the file readable by its owner only; give it the
    # permissions an ordinary open() would (0666 less the umask).
    os.chmod(temporary, 0o666 & ~_umask())
    return temporary


def _fsync(path):
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path):
    """Make a rename in ``path``'s directory durable (where the OS allows)."""
    try:
        handle = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:  # Windows cannot open directories
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path`` (named ``.tmp-*``); write it,
    and on success it is flushed and renamed over ``path``, on failure
    removed."""
    path = os.fspath(path)
    temporary = _temporary(path)
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
    except OSError as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if error.filename is None or error.filename == temporary:
            # "No space left on device" from a write names no file: name
            # the one the user asked for, not the temporary beside it.
            raise OSError(error.errno, error.strerror or str(error), path) from error
        raise
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_directory(path)


def atomic_write(path, data):
    """Write text or bytes to ``path`` through a temporary file and a rename."""
    with replacing(path) as temporary:
        if isinstance(data, bytes):
            with open(temporary, "wb") as out:
                out.write(data)
        else:
            with open(temporary, "w", encoding="utf-8") as out:
                out.write(data)


def atomic_save_model(model, path):
    """``model.save(path)`` without ever leaving a partial file at ``path``."""
    with replacing(path) as temporary:
        model.save(temporary)  # the name ends in the target's ".keras"


def publish(source, target):
    """Make ``target`` a copy of the file ``source``, replacing it atomically.

    A copy, never a hard link: a write into the published file (``: >
    best.keras``, ``cp other.keras best.keras``) must not reach the file it
    was published from.
    """
    source, target = os.fspath(source), os.fspath(target)
    if os.path.abspath(source) == os.path.abspath(target):
        return
    with replacing(target) as temporary:
        shutil.copyfile(source, temporary)


def file_digest(path):
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(path):
    """``{"size", "sha256"}`` of a file: what says it has not changed."""
    return {"size": os.path.getsize(path), "sha256": file_digest(path)}


def remove_temporaries(directory):
    """Delete what killed writes left in ``directory``; returns their names."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    left = sorted(n for n in os.listdir(directory) if n.startswith(TEMPORARY_PREFIX))
    for name in left:
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    return left


class DirectoryLock:
    """An advisory lock on a directory: one process at a time.

    The lock is `filelock`'s on ``<directory>/run.lock`` (``flock`` on POSIX
    systems, ``msvcrt`` on Windows), which the operating system releases
    when its process ends, however it ends. The file records the holder
    (process id, host, start time): a second process is told who holds the
    lock, and a record whose lock is free (left by a killed process) is
    reported as stale and taken over.

    Example:
        >>> with DirectoryLock("runs/ner") as lock:
        ...     lock.stale  # the record a killed run left, or None
    """

    NAME = "run.lock"

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.path = os.path.join(self.directory, self.NAME)
        self.stale = None
        self._lock = None

    def __enter__(self):
        os.makedirs(self.directory, exist_ok=True)
        lock = FileLock(self.path, mode=0o666, blocking=False, preserve_lock_file=True,
                        on_acquired=self._record)
        try:
            lock.acquire()
        except Timeout:
            raise SeqlabError(
                f"{self.directory} is in use by another seqlab run "
                f"({_describe(_read_record_file(self.path))}). Wait for it to finish, "
                f"stop it, or choose another output directory.") from None
        self._lock = lock
        return self

    def _record(self, handle):
        """Once the lock is ours: keep the record found there (a stale one,
        or None after a clean release) and write this process's."""
        self.stale = _read_record(handle)
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": datetime.datetime.now().isoformat(timespec="seconds")}
        os.ftruncate(handle, 0)
        os.lseek(handle, 0, os.SEEK_SET)
        os.write(handle, json.dumps(record).encode())

    def __exit__(self, *exc):
        os.truncate(self.path, 0)  # an empty record: released cleanly
        self._lock.release()
        self._lock = None

    def describe_stale(self):
        """A sentence about the stale record taken over, or None."""
        if not self.stale:
            return None
        return (f"Took over the lock of {self.directory}, left by a run that "
                f"ended without releasing it ({_describe(self.stale)}).")


def _read_record_file(path):
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return _read_record(handle)
    finally:
        os.close(handle)


def _read_record(handle):
    try:  # seek and read, not pread: Windows has no pread
        os.lseek(handle, 0, os.SEEK_SET)
        data = os.read(handle, 4096)
    except OSError:  # Windows: the holder's byte-range lock forbids reading
        return None
    try:
        return json.loads(data) if data.strip() else None
    except ValueError:
        return {"unreadable": data[:80].decode("utf-8", "replace")}


def _describe(record):
    if not record:
        return "process unknown"
    if "pid" in record:
        return (f"process {record['pid']} on {record.get('host', '?')}, "
                f"started {record.get('started', '?')}")
    return f"lock record {record}"
