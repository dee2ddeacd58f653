// Package ci holds the README's CI examples as files a team copies into its
// repository: github-actions.yml, gitlab-ci.yml and contract.sh (any CI with
// a shell). It has no code; its test checks what actionlint (make
// lint-ci-files) cannot: the GitLab file's structure, and that every
// `tssim contract` command of the examples uses flags tssim has.
package ci
