// Package webhooksender posts webhook deliveries (the webhook module's Sender port) so that a
// webhook cannot be pointed at the service's own network: a destination's addresses are checked
// when the webhook is saved (CheckDestination) and again on every connection, on the address
// actually dialled (a net.Dialer Control function), so a name that resolves elsewhere later (DNS
// rebinding) is refused too. Redirects are not followed, no proxy is used, a request ends after
// a timeout, and at most 64 KiB of a response is read.
package webhooksender
