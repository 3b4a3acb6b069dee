# syntax=docker/dockerfile:1
# Keyhold as a container image. How to build and run it: docs/operations.md.
#
#   docker build -t keyhold .
#   docker run -d --name keyhold -p 127.0.0.1:2086:2086 -v keyhold-data:/var/lib/keyhold keyhold
#
# Configure the container through the KEYHOLD_* environment variables rather than flags: the
# health check reads KEYHOLD_HOST, KEYHOLD_PORT and KEYHOLD_TLS_CERT to find the server, and
# `docker exec keyhold keyhold account list` finds the same store through KEYHOLD_DATA_DIR.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the SQLite driver, build Keyhold, keep only the production dependencies
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its native addon from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: the root's `prepare` script runs the build, and the sources are not copied
# yet. The one dependency whose install script is needed, better-sqlite3, is rebuilt by name.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
# The whole TypeScript project: the unit tests beside src/ import test/ helpers, and tsc checks
# them with the rest. Only dist/src and dist/web go into the image, without the compiled tests.
COPY tsconfig.json ./
COPY src ./src
COPY web ./web
COPY test ./test
COPY bench ./bench
# `npm prune` keeps better-sqlite3's compiled addon (it is a production dependency).
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find dist/src -name '*.test.js' -delete -o -name '*.test.js.map' -delete \
 && chmod 0755 dist/src/cli/main.js

# ---- runtime: Node and the built service, run as an unprivileged user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    KEYHOLD_HOST=0.0.0.0 \
    KEYHOLD_DATA_DIR=/var/lib/keyhold
RUN groupadd --system --gid 10001 keyhold \
 && useradd --system --uid 10001 --gid keyhold --home-dir /var/lib/keyhold --no-create-home --shell /usr/sbin/nologin keyhold \
 && install -d -m 0700 -o keyhold -g keyhold /var/lib/keyhold
WORKDIR /opt/keyhold
# The code stays owned by root: the service can read it but not change it.
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY --from=build /build/dist/web ./dist/web
RUN ln -s /opt/keyhold/dist/src/cli/main.js /usr/local/bin/keyhold
USER keyhold:keyhold
# The SQLite store and, unless KEYHOLD_KEY_FILE says otherwise, the key file. Back up both.
VOLUME ["/var/lib/keyhold"]
EXPOSE 2086 2087
# `keyhold serve` stops on SIGTERM: it stops accepting connections, lets the requests in flight
# finish, writes the pending last-use records and exits 0. Give it more than the 30 s a request
# may take (docker stop --time 40, compose stop_grace_period: 40s). It runs as PID 1 without an
# init: it handles SIGTERM and SIGINT itself and starts no child processes (`docker run --init`
# or compose `init: true` adds one anyway, harmlessly).
STOPSIGNAL SIGTERM
# No curl in the slim image: Node's fetch asks /healthz, which answers {"status":"ok",...}. With
# KEYHOLD_TLS_CERT set it asks over HTTPS and does not check the certificate (it talks to itself).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env,h=e.KEYHOLD_HOST||'',tls=Boolean(e.KEYHOLD_TLS_CERT),host=h===''||h==='0.0.0.0'||h==='::'?'127.0.0.1':h.includes(':')?'['+h+']':h,port=e.KEYHOLD_PORT||(tls?2087:2086);if(tls)e.NODE_TLS_REJECT_UNAUTHORIZED='0';fetch((tls?'https':'http')+'://'+host+':'+port+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>r.json()).then(b=>process.exit(b.status==='ok'?0:1),()=>process.exit(1))"]
ENTRYPOINT ["keyhold"]
CMD ["serve"]
