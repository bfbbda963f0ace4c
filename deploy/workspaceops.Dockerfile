# WorkspaceOps as an image FROM scratch around its static binary: no shell, no package manager,
# nothing to patch but the binary. `make image` prepares the context and builds it:
#
#   ctx/workspaceops           CGO_ENABLED=0 go build -trimpath ./cmd/workspaceops
#   ctx/ca-certificates.crt    the host's CA bundle, for TLS to MongoDB Atlas or NATS
#   ctx/empty/                 an empty directory (scratch has none) for /data and /tmp
#
# The container health check runs `workspaceops healthcheck` (it asks /healthz of WSO_ADDR: a
# liveness check; load balancers route by /readyz).
FROM scratch
COPY --chown=65534:65534 empty/ /data/
COPY --chown=65534:65534 empty/ /tmp/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY workspaceops /workspaceops
# Unprivileged (nobody).
USER 65534:65534
ENV WSO_ADDR=0.0.0.0:4000 WSO_DATA_DIR=/data TMPDIR=/tmp WSO_LOG_FORMAT=json
EXPOSE 4000
HEALTHCHECK --interval=5s --timeout=4s --start-period=20s --retries=3 CMD ["/workspaceops", "healthcheck"]
ENTRYPOINT ["/workspaceops"]
CMD ["serve"]
