# page-cache.sh - sourced by compare.sh and scaling.sh.
#
# read_back FILE...: drops each file's pages from the page cache (posix_fadvise DONTNEED) and reads
# it back, so that every timed run finds it cached the way a capture read from disk is, whatever the
# file's history. Why: a file still cached from when it was written sits in the pages the write made
# (4 KiB each here, from the generator's writes), one read back from disk in the large folios of the
# kernel's readahead (2 MiB here: FileHugePages in /proc/meminfo). On this machine (Linux 6.18, ext4)
# reading the 2.06 GB reference workload (dd, 128 KiB blocks) takes 0.24 s in the first state and
# 0.12 s in the second, and a run of `portmatrix analyze` about 0.15 s less: the same file, the same
# warm cache, and a difference that depended on whether it had been evicted since it was made.
read_back() {
  python3 - "$@" <<'PY'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # dirty pages are not dropped
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
PY
  cat "$@" >/dev/null
  cat "$@" >/dev/null
}
