# The two quick-start commands (README): each installs what is missing first.
.PHONY: setup demo test bench fixtures
setup:
	bash scripts/setup.sh
demo: setup
	node scripts/demo.mjs
test: setup
	npm test
bench: setup
	npm run bench
fixtures: setup
	bash fixtures/make-all.sh
