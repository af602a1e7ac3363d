#!/usr/bin/env bash
# Regenerates __tests__/fixtures/diffs/*.diff with real git (and GNU diff for the one plain
# diff), so the diff parser is tested on what git actually prints rather than on hand-written
# approximations. Every scenario is a fresh repository with two commits; the fixture is the diff
# between them. The output is deterministic: blob hashes depend only on content, and user or
# system git config (colour, noprefix, external diff drivers) is shut out.
#
# Usage: scripts/make-diff-fixtures.sh [output-dir]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/__tests__/fixtures/diffs}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null TZ=UTC LC_ALL=C
export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@example.com
export GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@example.com
export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
mkdir -p "$HOME"

# Numbered lines make every line number in a fixture checkable by eye.
lines() { # lines PREFIX FROM TO
  local i
  for ((i = $2; i <= $3; i++)); do printf '%s %d\n' "$1" "$i"; done
}

# scenario NAME: a fresh repo in $work/NAME, cwd set to it.
scenario() {
  cd "$work"
  rm -rf "$1"
  git init -q -b main "$1"
  cd "$1"
  git config core.quotePath true
  git config core.autocrlf false
}

commit() {
  git add -A
  git commit -q --allow-empty -m "$1"
}

# emit NAME [git diff options...]: the diff between the last two commits.
emit() {
  local name="$1"
  shift
  git -c diff.noprefix=false -c diff.mnemonicPrefix=false diff --no-color --no-ext-diff \
    --find-renames "$@" HEAD~1 HEAD >"$out/$name.diff"
}

# A rename with an edit on line 10, a pure rename, a deletion and a new file in one diff, the
# shape of an ordinary pull request.
scenario rename
mkdir -p src docs lib
lines 'old name line' 1 20 >src/old_name.ts
lines 'guide line' 1 5 >docs/guide.md
lines 'gone line' 1 5 >lib/gone.js
commit before
git mv src/old_name.ts src/new_name.ts
sed -i 's/^old name line 10$/renamed and edited line 10/' src/new_name.ts
mkdir -p docs/manual
git mv docs/guide.md docs/manual/guide.md
git rm -q lib/gone.js
mkdir -p lib
lines 'fresh line' 1 4 >lib/fresh.js
commit after
emit rename

# Three hunks in one file: an edit at line 5, a deletion around line 30, additions after 55.
scenario multi-hunk
lines 'line' 1 60 >multi.txt
commit before
sed -i -e 's/^line 5$/line five/' -e '/^line 30$/d' -e '/^line 31$/d' multi.txt
sed -i 's/^line 55$/line 55\nadded a\nadded b/' multi.txt
commit after
emit multi-hunk

# `\ No newline at end of file` on both sides, on the old side only, and on the new side only.
scenario no-eol
printf 'a\nb\nc' >both.txt
printf 'x\ny' >old-only.txt
printf 'p\nq\n' >new-only.txt
commit before
printf 'a\nb\nC' >both.txt
printf 'x\ny\n' >old-only.txt
printf 'p\nQ' >new-only.txt
commit after
emit no-eol

# One-line files: git omits a count of 1 in hunk headers (`@@ -1 +1 @@`, `@@ -0,0 +1 @@`).
scenario one-line
printf 'old\n' >changed.txt
printf 'bye\n' >removed.txt
commit before
printf 'new\n' >changed.txt
printf 'hello\n' >added.txt
git rm -q removed.txt
commit after
emit one-line

# Content lines that look like diff syntax once prefixed: a deleted `-- comment` prints as
# `--- comment`, an added `++ x` as `+++ x`; only the hunk's line counts tell them apart.
scenario lookalike
printf 'select 1;\n-- comment\n++ counter\n\nend\n' >query.sql
commit before
printf 'select 1;\n++ more\n@@ -1 +1 @@\ndiff --git a/x b/x\n\nend\n' >query.sql
commit after
emit lookalike

# `git format-patch`: a mail whose message quotes `---`/`+++` lines (with no hunk after them)
# before the real `diff --git`, and a diffstat after a `---` separator.
scenario format-patch
lines 'patched' 1 5 >patched.txt
commit before
sed -i 's/^patched 3$/patched three/' patched.txt
git add -A
git commit -q -m 'Change line 3' -m '--- a/not-a-file.txt
+++ b/not-a-file.txt
is quoted prose, not a hunk.'
git format-patch --stdout --no-signature -1 HEAD >"$out/format-patch.diff"

# A merge commit shown as a combined diff (`diff --cc`), which has no single old side.
scenario combined
lines 'merge' 1 5 >m.txt
commit base
git checkout -q -b side
sed -i 's/^merge 3$/side 3/' m.txt
commit side
git checkout -q main
sed -i 's/^merge 3$/main 3/' m.txt
commit main
git merge -q side >/dev/null 2>&1 || true
sed -i -e '/^<<<<<<<\|^=======\|^>>>>>>>/d' -e '/^side 3$/d' -e 's/^main 3$/resolved 3/' m.txt
commit merge
git show --cc --format= HEAD >"$out/combined.diff"

# Binary content: once as git prints it by default, once as a full `GIT binary patch`, with a
# text file after each so the parser must resume after the binary section.
scenario binary
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01' >image.png
lines 'after binary' 1 3 >zz-after.txt
commit before
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x02\x00\x03' >image.png
printf '\x00\x01\x02\x03new binary' >new.bin
sed -i 's/^after binary 2$/after binary two/' zz-after.txt
commit after
emit binary
emit binary-patch --binary

# A mode change alone, and a mode change together with an edit.
scenario mode
lines 'echo' 1 3 >run.sh
lines 'echo' 1 3 >both.sh
commit before
chmod +x run.sh both.sh
sed -i 's/^echo 2$/echo two/' both.sh
commit after
emit mode

# Paths git leaves unquoted (spaces) and paths it quotes (non-ASCII, tab, double quote), a rename
# from an unquoted name to a quoted one, and a rename between names with spaces.
scenario quoted
mkdir -p 'dir with space' 'café'
lines 'space' 1 3 >'dir with space/file name.txt'
lines 'accent' 1 3 >'café/naïve résumé.md'
lines 'tab' 1 3 >"$(printf 'tab\there.txt')"
lines 'quote' 1 3 >'say "hi".txt'
lines 'plain' 1 8 >plain.txt
lines 'spaced rename' 1 8 >'old name.txt'
commit before
sed -i 's/^space 2$/space two/' 'dir with space/file name.txt'
sed -i 's/^accent 2$/accent two/' 'café/naïve résumé.md'
sed -i 's/^tab 2$/tab two/' "$(printf 'tab\there.txt')"
sed -i 's/^quote 2$/quote two/' 'say "hi".txt'
git mv plain.txt 'ünïcode.txt'
sed -i 's/^plain 8$/plain eight/' 'ünïcode.txt'
git mv 'old name.txt' 'new name.txt'
sed -i 's/^spaced rename 1$/spaced rename one/' 'new name.txt'
commit after
emit quoted

# A copy, which git reports only when asked to look for copies.
scenario copy
lines 'original' 1 10 >orig.c
commit before
cp orig.c copy.c
sed -i 's/^original 3$/copied three/' copy.c
commit after
emit copy -C --find-copies-harder

# --no-prefix: no a/ b/ on any name, including a file that lives in a directory named `a`.
scenario no-prefix
mkdir -p a
lines 'in dir a' 1 3 >a/x.txt
lines 'spaced' 1 3 >'b c.txt'
commit before
sed -i 's/^in dir a 2$/in dir a two/' a/x.txt
sed -i 's/^spaced 2$/spaced two/' 'b c.txt'
lines 'born' 1 2 >new.txt
commit after
emit no-prefix --no-prefix

# CRLF line endings inside the content, which belong to the line text.
scenario crlf
printf 'one\r\ntwo\r\nthree\r\n' >dos.txt
commit before
printf 'one\r\nTWO\r\nthree\r\n' >dos.txt
commit after
emit crlf

# A plain `diff -ru` between two trees: no `diff --git` header, GNU timestamps after a tab.
cd "$work"
rm -rf plain && mkdir -p plain/a plain/b
lines 'kept' 1 6 >plain/a/kept.txt
lines 'kept' 1 6 >plain/b/kept.txt
sed -i 's/^kept 4$/kept four/' plain/b/kept.txt
lines 'spaced' 1 2 >'plain/a/with space.txt'
lines 'spaced' 1 2 >'plain/b/with space.txt'
sed -i 's/^spaced 1$/spaced one/' 'plain/b/with space.txt'
printf '\x00\x01' >plain/a/blob.bin
printf '\x00\x02' >plain/b/blob.bin
find plain -type f -exec touch -d '2024-01-01 00:00:00' {} +
(cd plain && diff -ru a b >"$out/plain.diff" || true)

# A pull request the size of GitHub's .diff limits: 320 files and about 20,000 diff lines.
# File N has 100 lines; eight single-line edits spread through it, and every tenth file is new.
scenario large
mkdir -p pkg
for ((f = 0; f < 320; f++)); do
  if ((f % 10 != 9)); then lines "file $f line" 1 100 >"pkg/f$f.txt"; fi
done
commit before
for ((f = 0; f < 320; f++)); do
  if ((f % 10 == 9)); then
    lines "file $f new" 1 20 >"pkg/f$f.txt"
  else
    sed -i -E "s/^(file $f line (5|17|29|41|53|65|77|89))$/\\1 edited/" "pkg/f$f.txt"
  fi
done
commit after
emit large

# A type change: a symlink becomes a file. git prints it as a deletion and an addition of the
# same path; a normal edit beside it.
scenario typechange
lines 'other line' 1 3 >other.txt
printf 'target line 1\n' >target.txt
ln -s target.txt link
commit before
rm link
lines 'link is a file now, line' 1 2 >link
sed -i 's/^other line 2$/other line 2 edited/' other.txt
commit after
emit typechange

# Nothing changed.
scenario empty
commit one
commit two
emit empty

echo "fixtures written to $out:"
ls -l "$out"
