# The embedded MongoDB-compatible store (cmd/devstore) as a tiny image for tests and CI.
# It needs no registry: the image is FROM scratch around a static binary built on the host.
# adapters/mongo/mongotest builds it this way when WSO_TEST_MONGO=testcontainers. By hand:
#
#   mkdir -p ctx/empty
#   CGO_ENABLED=0 GOOS=linux go build -trimpath -o ctx/devstore ./cmd/devstore
#   docker build -f deploy/devstore.Dockerfile -t workspaceops-devstore ctx
#   docker run --rm --network host -e WSO_DEVSTORE_ADDR=127.0.0.1:27017 workspaceops-devstore
#
# The build context holds only the binary and an empty directory: scratch has no directories at
# all, so the empty one is copied in to create the data dir and /tmp (SQLite may spill there).
FROM scratch
COPY --chown=65534:65534 empty/ /data/
COPY --chown=65534:65534 empty/ /tmp/
COPY devstore /devstore
# Unprivileged (nobody): the store needs nothing but its data dir.
USER 65534:65534
ENV WSO_DATA_DIR=/data TMPDIR=/tmp
# It listens on 127.0.0.1:27017 by default. With host networking (as the tests run it) set
# WSO_DEVSTORE_ADDR to a free loopback port; on a bridge network set it to 0.0.0.0:27017 and
# publish the port instead.
ENTRYPOINT ["/devstore"]
