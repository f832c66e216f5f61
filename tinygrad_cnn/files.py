"""Writing files so that nothing is ever half-written: ``atomic_write``.

Checkpoints, metrics, pictures and downloads all go through it. The bytes go
to a temporary file next to the target (same file system, so the rename is
atomic), are flushed to disk (fsync), and only then renamed over the target;
any failure removes the temporary file and leaves the old target as it was.
"""
import contextlib
import os
import tempfile


def atomic_write(path, write):
    """Call ``write(f)`` with a binary file open for writing, then put it at ``path``.

    Returns ``path``. If ``write`` raises (a full disk, a checksum mismatch of
    a download), ``path`` keeps its previous content and no temporary file is
    left behind.
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())      # mkstemp makes it private; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
    return path


def _umask():
    mask = os.umask(0)                         # the only way to read it is to set it
    os.umask(mask)
    return mask


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; not possible on Windows)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
