# The codec addon, linked statically against lz4 and zstd as installed by the system's
# development packages (Debian: liblz4-dev, libzstd-dev), so the built .node depends on no
# shared codec library at run time. `-l:NAME.a` asks the linker for the archive by file name.
# --exclude-libs,ALL keeps the archives' symbols inside the .node; it is also what lets Debian's
# libzstd.a (position-independent as for an executable, not a shared library) link at all.
{
  "targets": [
    {
      "target_name": "zswap_codecs",
      "sources": ["codecs.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O3"],
      "libraries": ["-l:liblz4.a", "-l:libzstd.a"],
      "ldflags": ["-Wl,--exclude-libs,ALL"]
    }
  ]
}
