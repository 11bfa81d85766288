/*
 * Intrusive circular doubly linked lists: a node lives inside the object
 * it links, so putting an object on a list never allocates.  An empty list
 * is a head that points at itself.  No locking: callers provide it.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

#define list_entry(node, type, member)                                        \
	((type *)((char *)(node) - offsetof(type, member)))

static inline void list_init(struct list_node *head)
{
	head->next = head;
	head->prev = head;
}

static inline int list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline void list_insert_between(struct list_node *n,
				       struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* Insert n after pos (at the front when pos is the head). */
static inline void list_add_after(struct list_node *n, struct list_node *pos)
{
	list_insert_between(n, pos, pos->next);
}

/* Insert n before pos (at the back when pos is the head). */
static inline void list_add_before(struct list_node *n, struct list_node *pos)
{
	list_insert_between(n, pos->prev, pos);
}

static inline void list_push_back(struct list_node *head, struct list_node *n)
{
	list_add_before(n, head);
}

/* Unlink n and leave it pointing at itself, so a second removal is safe. */
static inline void list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* The first node, or NULL if the list is empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->next;
}

static inline struct list_node *list_pop_front(struct list_node *head)
{
	struct list_node *n = list_first(head);

	if (n)
		list_remove(n);
	return n;
}

#define list_for_each(pos, head)                                              \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Safe against removal of pos from the list during the walk. */
#define list_for_each_safe(pos, tmp, head)                                    \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);      \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
