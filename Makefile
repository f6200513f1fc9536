# wecom_archive — see README.md. Odoo 18 and PostgreSQL are prerequisites, never built here.
SHELL := /bin/bash
BUILD := build
FAKE_SDK := $(BUILD)/libWeWorkFinanceSdk_C.so
FAKE_SDK_SRC := wecom_archive/native/fake_sdk/fake_sdk.c

.PHONY: demo test bench setup sdk i18n lint clean

demo: setup            ## a demo database fed through the real pipeline, served on 127.0.0.1:8069
	scripts/demo.sh

test: setup            ## every test; non-zero exit on any failure
	scripts/test.sh

bench: setup           ## benchmarks: BENCH_MESSAGES="20000 200000" make bench
	scripts/bench.sh

setup:                 ## Python requirements into Odoo's venv + the fake SDK
	scripts/setup.sh

sdk: $(FAKE_SDK)

$(FAKE_SDK): $(FAKE_SDK_SRC)
	@mkdir -p $(BUILD)
	gcc -shared -fPIC -O2 -Wall -Wextra -Werror -pthread -o $@ $<

lint:
	ruff check . && ruff format --check .

clean:
	rm -rf $(BUILD)

i18n:                  ## refresh the .pot and merge new terms into zh_CN.po
	scripts/i18n.sh
