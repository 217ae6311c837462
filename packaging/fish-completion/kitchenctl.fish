# fish completion for kitchenctl(1): verbs (and help VERB's), options long and
# short, and for `order`, `purge --dish`, `list --dish` and `retry --dish` the
# dishes of the running kitchend's menu (asked with `kitchenctl menu`, so it
# follows --control and $KITCHEN_CONTROL). Order ids are not completed.

set -l verbs cancel chefs drain follow help keygen list menu metrics order purge reload retry show status wait

# The dishes on the menu, asked with the connection options given.
function __kitchenctl_dishes
    set -l tokens (commandline -opc)
    set -l args
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --control --events --server-key --secret-key
                set -q tokens[(math $i + 1)]; and set -a args $tokens[$i] $tokens[(math $i + 1)]
            case '--control=*' '--events=*' '--server-key=*' '--secret-key=*'
                set -a args $tokens[$i]
        end
    end
    command kitchenctl $args --timeout 500 menu 2>/dev/null | string replace -rf '^([^:]*):.*' '$1'
end

complete -c kitchenctl -f

# Verbs, before one is given; after help, one more.
set -l no_verb "not __fish_seen_subcommand_from $verbs"
complete -c kitchenctl -n $no_verb -a cancel -d 'Cancel an order, or some dishes of it'
complete -c kitchenctl -n $no_verb -a chefs -d 'List the chefs and what they are doing'
complete -c kitchenctl -n $no_verb -a drain -d 'Stop kitchend gently'
complete -c kitchenctl -n $no_verb -a follow -d 'Follow orders placed before'
complete -c kitchenctl -n $no_verb -a help -d "Show the help, or a verb's"
complete -c kitchenctl -n $no_verb -a keygen -d 'Write a CURVE key pair'
complete -c kitchenctl -n $no_verb -a list -d 'List orders, newest first'
complete -c kitchenctl -n $no_verb -a menu -d 'List the dishes on the menu'
complete -c kitchenctl -n $no_verb -a metrics -d "Print kitchend's measurements for Prometheus"
complete -c kitchenctl -n $no_verb -a order -d 'Order dishes'
complete -c kitchenctl -n $no_verb -a purge -d 'Cancel every waiting dish'
complete -c kitchenctl -n $no_verb -a reload -d 'Ask kitchend to reload its configuration'
complete -c kitchenctl -n $no_verb -a retry -d 'Cook failed or cancelled dishes again'
complete -c kitchenctl -n $no_verb -a show -d 'Show an order and its dishes'
complete -c kitchenctl -n $no_verb -a status -d "Show the kitchen's counters and chefs"
complete -c kitchenctl -n $no_verb -a wait -d 'Wait for orders placed before'
complete -c kitchenctl -n "__fish_seen_subcommand_from help; and test (count (commandline -opc)) -le 2" -a "$verbs"

# Every verb's options.
complete -c kitchenctl -s h -l help -d "Show the help (after a verb: the verb's)"
complete -c kitchenctl -l version -d 'Show the version'
complete -c kitchenctl -l control -x -a 'ipc:// tcp://' -d "kitchend's control endpoint"
complete -c kitchenctl -l events -x -a 'ipc:// tcp://' -d "kitchend's events endpoint"
complete -c kitchenctl -s j -l json -d 'Print JSON instead of text'
complete -c kitchenctl -l timeout -x -d 'Wait this long for kitchend to answer (ms)'
complete -c kitchenctl -l server-key -r -F -d "kitchend's public key"
complete -c kitchenctl -l secret-key -r -F -d "This kitchenctl's key pair"

# order
set -l order '__fish_seen_subcommand_from order'
complete -c kitchenctl -n $order -a '(__kitchenctl_dishes)' -d Dish
complete -c kitchenctl -n $order -s w -l wait -d 'Wait; print each dish as served'
complete -c kitchenctl -n $order -s f -l follow -d 'Print every stage of every dish'
complete -c kitchenctl -n $order -l output -d "With --wait: print the dishes' outputs"
complete -c kitchenctl -n $order -l random -x -d 'N one-dish orders of random dishes'
complete -c kitchenctl -n $order -l key -x -d 'Idempotency key'
complete -c kitchenctl -n $order -s p -l priority -x -a '1 2 3 4 5 6 7 8 9' -d '1 to 9, higher first'
complete -c kitchenctl -n $order -l at -x -d 'Cook at this time (2026-12-06T18:30:00)'
complete -c kitchenctl -n $order -l in -x -d 'Cook after this long (30s, 5m, 2h)'
complete -c kitchenctl -n $order -l input -x -d 'The input of every dish'
complete -c kitchenctl -n $order -l inputs -r -F -d 'One dish per line of FILE'
complete -c kitchenctl -n '__fish_seen_subcommand_from order wait follow' -l deadline -x -d 'Stop waiting after this long'
complete -c kitchenctl -n '__fish_seen_subcommand_from wait' -l output -d "Print the dishes' outputs"

# list, purge, retry
complete -c kitchenctl -n '__fish_seen_subcommand_from list purge retry' -l dish -x -a '(__kitchenctl_dishes)' -d 'Only this dish'
complete -c kitchenctl -n '__fish_seen_subcommand_from list retry' -l since -x -d 'Placed from (2026-12-06, @EPOCH, 2h)'
complete -c kitchenctl -n '__fish_seen_subcommand_from list retry' -l until -x -d 'Placed until (2026-12-06, @EPOCH, 2h)'
complete -c kitchenctl -n '__fish_seen_subcommand_from list' -l state -x -a 'queued cooking delayed served failed cancelled' -d 'Only orders in this state'
complete -c kitchenctl -n '__fish_seen_subcommand_from list' -l key -x -d 'Only the order of this idempotency key'
complete -c kitchenctl -n '__fish_seen_subcommand_from list' -s n -l limit -x -d 'Show at most N orders'
complete -c kitchenctl -n '__fish_seen_subcommand_from list' -l after -x -d 'Go on after a list'
complete -c kitchenctl -n '__fish_seen_subcommand_from purge' -s y -l yes -d 'Do not ask'
complete -c kitchenctl -n '__fish_seen_subcommand_from retry' -l failed -d 'Every failed order'

# keygen
complete -c kitchenctl -n '__fish_seen_subcommand_from keygen' -l dir -x -a '(__fish_complete_directories)' -d 'Write the files into DIR'
