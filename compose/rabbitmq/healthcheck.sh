#!/bin/sh
# The broker's healthcheck. Healthy = the listeners accept connections and, once per container, the node has been set
# up: the policy that bounds the retention of Supervisor's error and skipped queues (at most
# SUPERVISOR_DEAD_LETTER_MAX_LENGTH messages per queue, the oldest dropped beyond, each kept at most
# SUPERVISOR_DEAD_LETTER_TTL_MS), and the broker users of the worker and submitter roles with the permissions of
# /etc/rabbitmq/supervisor-permissions.conf (compose/rabbitmq/permissions.conf; passwords RABBITMQ_WORKER_PASSWORD and
# RABBITMQ_SUBMITTER_PASSWORD). The service connects as RABBITMQ_DEFAULT_USER, which has everything on "/". Until the
# set-up has succeeded the broker is not healthy, so nothing that depends on it starts early. Policy, users and
# permissions are stored by the broker; docs/operations.md sets them up on an existing broker.
rabbitmq-diagnostics -q check_port_connectivity || exit 1
marker=/tmp/supervisor-broker-setup
[ -f "$marker" ] && exit 0
rabbitmqctl -q set_policy --apply-to queues --priority 10 supervisor-dead-letters '_(error|skipped)$' \
    "{\"max-length\":${SUPERVISOR_DEAD_LETTER_MAX_LENGTH:-100000},\"message-ttl\":${SUPERVISOR_DEAD_LETTER_TTL_MS:-1209600000}}" >/dev/null || exit 1
permissions=/etc/rabbitmq/supervisor-permissions.conf
for role in worker submitter; do
    user="supervisor-$role"
    if [ "$role" = worker ]; then password="${RABBITMQ_WORKER_PASSWORD:?}"; else password="${RABBITMQ_SUBMITTER_PASSWORD:?}"; fi
    # add_user fails on a user that exists (a restarted container keeps its users): then its password is set again
    rabbitmqctl -q add_user "$user" "$password" >/dev/null 2>&1 || rabbitmqctl -q change_password "$user" "$password" >/dev/null || exit 1
    rabbitmqctl -q set_permissions -p / "$user" \
        "$(awk -v r="$role" '$1 == r && $2 == "configure" { print $3 }' "$permissions")" \
        "$(awk -v r="$role" '$1 == r && $2 == "write" { print $3 }' "$permissions")" \
        "$(awk -v r="$role" '$1 == r && $2 == "read" { print $3 }' "$permissions")" >/dev/null || exit 1
done
touch "$marker"
exit 0
