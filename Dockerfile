# Multi-stage build: Swift 6.3 to compile, slim Debian 12 to run `landscape serve`.
# (Not built in this project's sandbox, which has no Docker engine; it mirrors
# scripts/install-deps and scripts/serve.)
FROM swift:6.3-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libopenblas-dev libdnnl-dev libcairo2-dev zlib1g-dev libhdf5-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product landscape --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/landscape" /usr/local/bin/landscape

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libopenblas0 libdnnl2 libgomp1 libcairo2 zlib1g libhdf5-103-1 fonts-dejavu-core dataset-fashion-mnist ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/landscape /usr/local/bin/landscape
WORKDIR /srv/landscape
COPY Models ./Models
COPY Public ./Public
EXPOSE 8420
# 0.0.0.0 so the published port reaches it; new surfaces go to a volume-friendly cache.
CMD ["landscape", "serve", "--host", "0.0.0.0", "--port", "8420", "--cache", "/var/cache/landscape/surfaces"]
