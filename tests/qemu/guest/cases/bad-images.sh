# Broken images (tests/qemu/mkbadimg.c) are refused with the right error,
# by kspawnctl before it calls the module and by the module itself
# (--no-verify), and nothing starts.
. /tests/lib.sh
refuse() {
	local img=$1 status=$2 re=$3
	expect "$status" kspawnctl run "$BAD/$img" --cpu 1
	has "$re"
	want_online 1
	want_no_instances
}
refuse truncated.elf 5 'truncated'
refuse bad-magic.elf 5 'bad magic'
refuse abi-major.elf 6 'ABI 3\.[0-9]+.*ABI 2\.'
refuse seg-outside.elf 5 'outside a region'
refuse entry-outside.elf 5 'entry point .* not inside an executable segment'
refuse many-notes.elf 5 'more than 64 notes'
expect 1 kspawnctl run /no/such/image.elf --cpu 1
has 'cannot open'
# The module's own checks: it trusts no caller.
for img in truncated bad-magic seg-outside entry-outside many-notes; do
	expect 5 kspawnctl run "$BAD/$img.elf" --cpu 1 --no-verify
	has 'module refused'
	want_online 1
	want_no_instances
done
finish
