// SPDX-License-Identifier: GPL-2.0
/*
 * smartio autoborrow policy: which fabric devices autoborrow takes.
 *
 * User space (smartio_tool apply, from /etc/smartio/policy) loads the rules
 * through the bus attribute autoborrow_policy; the kernel does not read
 * files. Without rules autoborrow takes every available device; with rules
 * it takes a device only if the first rule that matches it says "borrow".
 * The kernel is the only matcher: each pool device's "policy" attribute
 * says which rule decides it, and "smartio_tool apply" borrows what it
 * says. The text is the policy file itself: one rule a line, "borrow" or
 * "ignore" and KEY=PATTERN matches that must all hold, '#' starting a
 * comment; rules are known by their line in it. Patterns are glob_match()
 * patterns compared with the device's values in lower case, hex numbers
 * without "0x", an fdid without leading zeros.
 */

#include <linux/ctype.h>
#include <linux/glob.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "smartio.h"

/* Bounds that keep a hostile write cheap; a real policy is a few lines. */
#define SMARTIO_POLICY_MAX_RULES	64
#define SMARTIO_POLICY_MAX_MATCHES	8
#define SMARTIO_POLICY_MAX_PATTERN	63

enum smartio_policy_key {
	SMARTIO_KEY_CLASS,
	SMARTIO_KEY_VENDOR,
	SMARTIO_KEY_DEVICE,
	SMARTIO_KEY_SERIAL,
	SMARTIO_KEY_ADAPTER,
	SMARTIO_KEY_FDID,
	SMARTIO_NR_KEYS,
};

static const char * const smartio_policy_keys[SMARTIO_NR_KEYS] = {
	[SMARTIO_KEY_CLASS] = "class",
	[SMARTIO_KEY_VENDOR] = "vendor",
	[SMARTIO_KEY_DEVICE] = "device",
	[SMARTIO_KEY_SERIAL] = "serial",
	[SMARTIO_KEY_ADAPTER] = "adapter",
	[SMARTIO_KEY_FDID] = "fdid",
};

struct smartio_policy_match {
	enum smartio_policy_key key;
	char pattern[SMARTIO_POLICY_MAX_PATTERN + 1];
};

struct smartio_policy_rule {
	unsigned int line;	/* in the text written, from 1 */
	bool borrow;
	unsigned int nr_matches;
	struct smartio_policy_match matches[SMARTIO_POLICY_MAX_MATCHES];
};

struct smartio_policy {
	unsigned int nr_rules;
	struct smartio_policy_rule rules[];
};

/* NULL: no rules, autoborrow takes everything. */
static struct smartio_policy *smartio_policy;	/* smartio_lock */

/*
 * Normalizes a pattern into @out; logs why and returns false if it cannot
 * be one. @line and @name only name it in the log.
 */
static bool smartio_policy_pattern(enum smartio_policy_key key,
				   const char *val, size_t len, char *out,
				   unsigned int line, const char *name)
{
	size_t i;

	/* Printable ASCII: the kernel's ctype would take Latin-1 too. */
	for (i = 0; i < len; i++)
		if (val[i] <= ' ' || val[i] > '~') {
			pr_info_ratelimited("smartio: autoborrow_policy line %u: %s= has a byte that is not printable ASCII\n",
					    line, name);
			return false;
		}
	/* glob_match() negates a set with '!' only; a shell takes '^' too. */
	if (strnstr(val, "[^", len)) {
		pr_info_ratelimited("smartio: autoborrow_policy line %u: %s= has '[^': write '[!' to negate a set\n",
				    line, name);
		return false;
	}
	if (key == SMARTIO_KEY_CLASS || key == SMARTIO_KEY_VENDOR ||
	    key == SMARTIO_KEY_DEVICE || key == SMARTIO_KEY_FDID) {
		if (len >= 2 && val[0] == '0' && tolower(val[1]) == 'x') {
			val += 2;
			len -= 2;
		}
	}
	if (key == SMARTIO_KEY_FDID)
		while (len > 1 && val[0] == '0') {
			val++;
			len--;
		}
	if (!len || len > SMARTIO_POLICY_MAX_PATTERN) {
		pr_info_ratelimited("smartio: autoborrow_policy line %u: %s= needs a pattern of 1 to %d characters\n",
				    line, name, SMARTIO_POLICY_MAX_PATTERN);
		return false;
	}
	for (i = 0; i < len; i++)
		out[i] = tolower(val[i]);
	out[len] = '\0';
	return true;
}

/* Parses the rule on line @nr; logs, naming the line, what is wrong. */
static int smartio_policy_parse_rule(char *line, unsigned int nr,
				     struct smartio_policy_rule *rule)
{
	char *word, *eq;
	int key;

	rule->line = nr;
	word = strsep(&line, " \t");
	/* Any other byte is part of a word, and no key or action has it. */
	if (!strcmp(word, "borrow")) {
		rule->borrow = true;
	} else if (!strcmp(word, "ignore")) {
		rule->borrow = false;
	} else {
		pr_info_ratelimited("smartio: autoborrow_policy line %u: unknown action '%.32s' (borrow or ignore)\n",
				    nr, word);
		return -EINVAL;
	}
	while ((word = strsep(&line, " \t"))) {
		struct smartio_policy_match *m;

		if (!*word)
			continue;
		eq = strchr(word, '=');
		if (!eq || eq == word) {
			pr_info_ratelimited("smartio: autoborrow_policy line %u: '%.32s' is not KEY=PATTERN\n",
					    nr, word);
			return -EINVAL;
		}
		if (rule->nr_matches == SMARTIO_POLICY_MAX_MATCHES) {
			pr_info_ratelimited("smartio: autoborrow_policy line %u: more than %d matches\n",
					    nr, SMARTIO_POLICY_MAX_MATCHES);
			return -EINVAL;
		}
		*eq = '\0';
		key = match_string(smartio_policy_keys, SMARTIO_NR_KEYS, word);
		if (key < 0) {
			pr_info_ratelimited("smartio: autoborrow_policy line %u: unknown key '%.32s' (class, vendor, device, serial, adapter, fdid)\n",
					    nr, word);
			return -EINVAL;
		}
		m = &rule->matches[rule->nr_matches];
		m->key = key;
		if (!smartio_policy_pattern(key, eq + 1, strlen(eq + 1),
					    m->pattern, nr, word))
			return -EINVAL;
		rule->nr_matches++;
	}
	return 0;
}

/*
 * Parses the text of a write into a new policy; *@out is NULL for a text
 * without rules.
 */
static int smartio_policy_parse(const char *buf, size_t count,
				struct smartio_policy **out)
{
	struct smartio_policy *policy;
	char *text, *cur, *line;
	unsigned int nr = 0;
	int ret = 0;

	*out = NULL;
	/* What show prints must fit its page: it may add a final newline. */
	if (count > PAGE_SIZE - 2) {
		pr_info_ratelimited("smartio: autoborrow_policy: more than %lu bytes\n",
				    PAGE_SIZE - 2);
		return -E2BIG;
	}
	if (memchr(buf, '\0', count))
		return -EINVAL;
	text = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	policy = kzalloc(struct_size(policy, rules, SMARTIO_POLICY_MAX_RULES),
			 GFP_KERNEL);
	if (!policy) {
		ret = -ENOMEM;
		goto free_text;
	}

	cur = text;
	while ((line = strsep(&cur, "\n"))) {
		char *hash = strchr(line, '#');

		nr++;
		if (hash)
			*hash = '\0';
		line = strim(line);
		if (!*line)
			continue;
		if (policy->nr_rules == SMARTIO_POLICY_MAX_RULES) {
			pr_info_ratelimited("smartio: autoborrow_policy line %u: more than %d rules\n",
					    nr, SMARTIO_POLICY_MAX_RULES);
			ret = -E2BIG;
			goto free_policy;
		}
		ret = smartio_policy_parse_rule(line, nr,
						&policy->rules[policy->nr_rules]);
		if (ret)
			goto free_policy;
		policy->nr_rules++;
	}
	if (policy->nr_rules)
		*out = policy;
	else
		kfree(policy);
	kfree(text);
	return 0;

free_policy:
	kfree(policy);
free_text:
	kfree(text);
	return ret;
}

static bool smartio_policy_equal(const struct smartio_policy *a,
				 const struct smartio_policy *b)
{
	if (!a || !b)
		return a == b;
	if (a->nr_rules != b->nr_rules)
		return false;
	return !memcmp(a->rules, b->rules, a->nr_rules * sizeof(a->rules[0]));
}

/**
 * smartio_policy_store() - replace the autoborrow policy
 * @buf: the rules, in the grammar of the policy file
 * @count: length of @buf
 *
 * Return: 1 if the policy changed, 0 if it was the same already, or a
 * negative errno with the old policy kept. Takes smartio_lock.
 */
int smartio_policy_store(const char *buf, size_t count)
{
	struct smartio_policy *policy, *old;
	int ret;

	ret = smartio_policy_parse(buf, count, &policy);
	if (ret)
		return ret;

	mutex_lock(&smartio_lock);
	old = smartio_policy;
	if (smartio_policy_equal(old, policy)) {
		mutex_unlock(&smartio_lock);
		kfree(policy);
		return 0;
	}
	smartio_policy = policy;
	mutex_unlock(&smartio_lock);
	kfree(old);
	return 1;
}

/**
 * smartio_policy_show() - print the autoborrow policy
 * @buf: a sysfs buffer
 *
 * Each rule is printed normalized on the line it was written on, a comment
 * or blank line before it as an empty line, so that a rule's number is its
 * line here as in the file. It fits: a rule never grows when normalized.
 *
 * Return: the length printed. Takes smartio_lock.
 */
ssize_t smartio_policy_show(char *buf)
{
	const struct smartio_policy *policy;
	unsigned int i, j, line = 1;
	ssize_t len = 0;

	mutex_lock(&smartio_lock);
	policy = smartio_policy;
	for (i = 0; policy && i < policy->nr_rules; i++) {
		const struct smartio_policy_rule *rule = &policy->rules[i];

		for (; line < rule->line; line++)
			len += sysfs_emit_at(buf, len, "\n");
		line++;
		len += sysfs_emit_at(buf, len, "%s",
				     rule->borrow ? "borrow" : "ignore");
		for (j = 0; j < rule->nr_matches; j++)
			len += sysfs_emit_at(buf, len, " %s=%s",
					     smartio_policy_keys[rule->matches[j].key],
					     rule->matches[j].pattern);
		len += sysfs_emit_at(buf, len, "\n");
	}
	mutex_unlock(&smartio_lock);
	return len;
}

/**
 * smartio_policy_rules() - the number of rules loaded
 *
 * Return: 0 when autoborrow takes everything. Called with smartio_lock held.
 */
unsigned int smartio_policy_rules(void)
{
	lockdep_assert_held(&smartio_lock);
	return smartio_policy ? smartio_policy->nr_rules : 0;
}

/* The device's value for @key as the patterns expect it; false if none. */
static bool smartio_policy_value(struct smartio_fdev *fdev,
				 enum smartio_policy_key key, char *buf,
				 size_t len)
{
	switch (key) {
	case SMARTIO_KEY_CLASS:
		snprintf(buf, len, "%06x", fdev->class);
		return true;
	case SMARTIO_KEY_VENDOR:
		snprintf(buf, len, "%04x", fdev->vendor);
		return true;
	case SMARTIO_KEY_DEVICE:
		snprintf(buf, len, "%04x", fdev->device);
		return true;
	case SMARTIO_KEY_SERIAL:
		if (!fdev->dsn)
			return false;
		smartio_dsn_format(fdev->dsn, buf, len);
		return true;
	case SMARTIO_KEY_ADAPTER:
		strscpy(buf, dev_name(&fdev->adapter->dev), len);
		return true;
	case SMARTIO_KEY_FDID:
		snprintf(buf, len, "%x", fdev->fdid);
		return true;
	default:
		return false;
	}
}

/**
 * smartio_policy_allows() - whether autoborrow may take a device
 * @fdev: the pool device
 * @rule: set to the line (from 1) of the deciding rule, 0 if none
 *
 * Return: true without rules, else whether the first matching rule says
 * "borrow" (false if none matches). Called with smartio_lock held.
 */
bool smartio_policy_allows(struct smartio_fdev *fdev, unsigned int *rule)
{
	const struct smartio_policy *policy = smartio_policy;
	char val[32];
	unsigned int i, j;

	lockdep_assert_held(&smartio_lock);
	*rule = 0;
	if (!policy)
		return true;
	for (i = 0; i < policy->nr_rules; i++) {
		const struct smartio_policy_rule *r = &policy->rules[i];

		for (j = 0; j < r->nr_matches; j++) {
			const struct smartio_policy_match *m = &r->matches[j];

			if (!smartio_policy_value(fdev, m->key, val,
						  sizeof(val)) ||
			    !glob_match(m->pattern, val))
				break;
		}
		if (j == r->nr_matches) {
			*rule = r->line;
			return r->borrow;
		}
	}
	return false;
}

/**
 * smartio_policy_exit() - free the policy at module unload
 */
void smartio_policy_exit(void)
{
	kfree(smartio_policy);
	smartio_policy = NULL;
}
