# Build: docker build -t aspen-pod .   (docker compose up does this for you)
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/pod ./cmd/pod

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/pod --create-home pod
# The data volume's mount point exists and belongs to the runtime user, so a
# fresh named volume (which copies it) is writable: uploads go there.
RUN install -d -o 10001 -g 10001 -m 0750 /var/lib/pod/data
COPY --from=build /out/pod /usr/local/bin/pod
USER pod
WORKDIR /var/lib/pod
ENV POD_LISTEN=0.0.0.0:3000 \
    POD_DATA_DIR=/var/lib/pod/data
VOLUME ["/var/lib/pod/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["pod", "health", "--url", "http://127.0.0.1:3000/healthz"]
ENTRYPOINT ["pod"]
CMD ["serve"]
