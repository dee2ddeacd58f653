# tssim's image: the simulator (entrypoint, with `tssim contract`, the
# contract suite) and tsclient, static, on scratch, running as a non-root
# user.
#
#   docker build -t tssim .                      the normal multi-stage build (default)
#   make docker-bin                              the same image from binaries built on this
#                                                host (target "host"), for machines that cannot
#                                                pull the Go base image
#
# The stages before the default one must build with the classic builder too,
# which builds every stage: "host" copies dist/bin/, which holds only an
# ignored placeholder until make docker-bin fills it.

FROM scratch AS runtime
ENV TSSIM_ADDR=0.0.0.0:8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=2s --timeout=3s --start-period=2s --retries=15 \
  CMD ["/usr/local/bin/tssim", "healthcheck", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/tssim"]

# Binaries built on the host by `make docker-bin`.
FROM runtime AS host
COPY dist/bin/ /usr/local/bin/

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/tssim ./cmd/tsclient

FROM runtime AS image
COPY --from=build /out/ /usr/local/bin/
