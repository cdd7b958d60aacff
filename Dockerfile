# ibkr-graphql: build with `docker build -t ibkr-graphql .`; see deploy/docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production LOG_FORMAT=json DATA_DIR=/var/lib/ibkr-graphql HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /var/lib/ibkr-graphql && chown node:node /var/lib/ibkr-graphql
USER node
EXPOSE 4000
VOLUME /var/lib/ibkr-graphql
# Liveness only: /readyz answers 503 while IB is logged out, which must not restart the container.
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:4000/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node itself is PID 1, not npm: `docker stop`'s SIGTERM reaches the server, which exits within 2 s (exit 1 if its
# orderly stop overran that deadline), well inside Docker's 10 s grace period.
ENTRYPOINT ["node", "--enable-source-maps", "dist/src/main.js"]
CMD ["serve"]
