# The crash app: each fault ends in a panic record that status reports with
# the right vector, a RIP and a message; the CPU comes back after stop.
. /tests/lib.sh
crash() {
	local how=$1 vector=$2 name=$3
	spawn "$TEST_IMG" --cpu 1 --cmdline "crash $how" || return
	expect 9 kspawnctl console "$id" --follow
	has "crash: about to crash with '$how'"
	expect 0 kspawnctl status "$id"
	has '^state: +panicked'
	if [ "$vector" = none ]; then
		has '^panic: +panic\(\) called'
	else
		has "^panic: +vector $vector \($name"
	fi
	has 'RIP 0x[0-9a-f]*[1-9a-f][0-9a-f]*'
	has 'message: .+'
	expect 0 kspawnctl --json status "$id"
	[ "$vector" = none ] || [ "$(json_get vector "$out")" = "$vector" ] ||
		bad "json vector is '$(json_get vector "$out")', want $vector"
	expect 0 kspawnctl stop "$id"
	want_online 1
}
crash div0 0 '#DE'
crash ud2 6 '#UD'
crash gp 13 '#GP'
crash null 14 '#PF'
crash panic none ''
want_no_instances
finish
