/*
 * lib/list.h: insertion at both ends and in the middle, removal (twice is
 * harmless), popping, and walking while removing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/list.h"

struct item {
	int v;
	struct list_node node;
};

/* The values on the list, front to back, as a number: 1,2,3 -> 123. */
static long digits(struct list_node *head)
{
	struct list_node *pos;
	long n = 0;

	list_for_each(pos, head)
		n = n * 10 + list_entry(pos, struct item, node)->v;
	return n;
}

static void test_empty(void **state)
{
	struct list_node head = LIST_HEAD_INIT(head);

	(void)state;
	assert_true(list_empty(&head));
	assert_null(list_first(&head));
	assert_null(list_pop_front(&head));
	assert_int_equal(digits(&head), 0);
}

static void test_order(void **state)
{
	struct list_node head;
	struct item it[5];

	(void)state;
	for (int i = 0; i < 5; i++)
		it[i].v = i + 1;
	list_init(&head);
	list_push_back(&head, &it[1].node);		/* 2 */
	list_push_back(&head, &it[3].node);		/* 2 4 */
	list_add_after(&it[0].node, &head);		/* 1 2 4 */
	list_add_before(&it[2].node, &it[3].node);	/* 1 2 3 4 */
	list_add_after(&it[4].node, &it[3].node);	/* 1 2 3 4 5 */
	assert_int_equal(digits(&head), 12345);
	assert_ptr_equal(list_first(&head), &it[0].node);
	assert_false(list_empty(&head));
}

static void test_remove(void **state)
{
	struct list_node head;
	struct item it[3];

	(void)state;
	list_init(&head);
	for (int i = 0; i < 3; i++) {
		it[i].v = i + 1;
		list_push_back(&head, &it[i].node);
	}
	list_remove(&it[1].node);
	assert_int_equal(digits(&head), 13);
	/* A removed node points at itself: removing again changes nothing. */
	assert_ptr_equal(it[1].node.next, &it[1].node);
	list_remove(&it[1].node);
	assert_int_equal(digits(&head), 13);
	assert_ptr_equal(list_pop_front(&head), &it[0].node);
	assert_ptr_equal(list_pop_front(&head), &it[2].node);
	assert_true(list_empty(&head));
}

static void test_remove_while_walking(void **state)
{
	struct list_node head, *pos, *tmp;
	struct item it[6];

	(void)state;
	list_init(&head);
	for (int i = 0; i < 6; i++) {
		it[i].v = i + 1;
		list_push_back(&head, &it[i].node);
	}
	list_for_each_safe(pos, tmp, &head)
		if (list_entry(pos, struct item, node)->v % 2)
			list_remove(pos);
	assert_int_equal(digits(&head), 246);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_while_walking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
