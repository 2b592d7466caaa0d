package fetch

// DrainRetained is drainRetained for the external tests (the Dovecot ones).
var DrainRetained = drainRetained
