#!/bin/sh
# The broker's healthcheck. Healthy = the listeners accept connections. Once the node answers, it also sets (one time
# per container) the policy that bounds the retention of Supervisor's error and skipped queues: at most
# SUPERVISOR_DEAD_LETTER_MAX_LENGTH messages per queue (the oldest are dropped beyond), each kept at most
# SUPERVISOR_DEAD_LETTER_TTL_MS. The policy is stored by the broker; docs/operations.md sets it on an existing broker.
rabbitmq-diagnostics -q check_port_connectivity || exit 1
marker=/tmp/supervisor-dead-letter-policy
if [ ! -f "$marker" ]; then
    rabbitmqctl -q set_policy --apply-to queues --priority 10 supervisor-dead-letters '_(error|skipped)$' \
        "{\"max-length\":${SUPERVISOR_DEAD_LETTER_MAX_LENGTH:-100000},\"message-ttl\":${SUPERVISOR_DEAD_LETTER_TTL_MS:-1209600000}}" >/dev/null \
        && touch "$marker"
fi
exit 0
