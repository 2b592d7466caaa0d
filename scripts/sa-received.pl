#!/usr/bin/perl
# Baseline for scripts/bench-compare.sh: SpamAssassin's own Received parser
# over every message of an mbox. For each message it calls
# Mail::SpamAssassin->parse and extract_message_metadata (which parses the
# Received headers into relays), and prints the relay count.
use strict;
use warnings;
use Mail::SpamAssassin;
use Mail::SpamAssassin::PerMsgStatus;

my $mbox = shift or die "usage: sa-received.pl MBOX\n";
my $sa = Mail::SpamAssassin->new({
  dont_copy_prefs   => 1,
  local_tests_only  => 1,
  userprefs_filename => '/dev/null',
});
$sa->init(0);

open(my $fh, '<', $mbox) or die "$mbox: $!\n";
my @lines;
my ($messages, $relays) = (0, 0);
sub one {
  return unless @lines;
  my $mail = $sa->parse(\@lines, 1);
  my $status = Mail::SpamAssassin::PerMsgStatus->new($sa, $mail);
  $mail->extract_message_metadata($status);
  my $md = $mail->{metadata};
  $relays += scalar(@{$md->{relays_trusted} || []}) + scalar(@{$md->{relays_untrusted} || []});
  $messages++;
  $status->finish();
  $mail->finish();
  @lines = ();
}
while (my $line = <$fh>) {
  if ($line =~ /^From /) { one(); next; }
  $line =~ s/^>(>*From )/$1/;
  push @lines, $line;
}
one();
print "messages=$messages relays=$relays\n";
