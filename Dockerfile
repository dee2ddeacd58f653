# tssim's image: the simulator (entrypoint, with `tssim contract`, the
# contract suite) and tsclient, static, on scratch, running as a non-root
# user. It is made from a release folder alone, the binaries built by
# make dist (or downloaded), so building it pulls nothing and needs no Go
# and no network; every builder can, the classic one included.
#
#   make docker                                    tssim:VERSION and tssim:latest, from linux
#                                                  binaries built here (make dist makes them too)
#   docker build -t tssim tssim_VERSION_linux_amd64     the same from a downloaded release archive,
#                                                  which holds this file beside the binaries
#
# The build context is that folder, not the repository: the repository's
# root holds no binaries to copy.
FROM scratch
COPY tssim tsclient /usr/local/bin/
ENV TSSIM_ADDR=0.0.0.0:8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=2s --timeout=3s --start-period=2s --retries=15 \
  CMD ["/usr/local/bin/tssim", "healthcheck", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/tssim"]
