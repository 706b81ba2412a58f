package core

import "strconv"

func itoa64(i int64) string { return strconv.FormatInt(i, 10) }

// formatFloat writes f in plain decimal notation (never with an exponent).
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
