package expr

import (
	"strconv"
	"unicode/utf8"
)

// This file is the lexer of the ACL expression language. It turns
// the whole source into a slice of tokens up front; the parser then walks the
// slice. Lexing happens once, when the configuration loads.

// maxExprLen bounds the source length so that hostile configuration cannot
// make compilation expensive.
const maxExprLen = 4096

// exprTokenKind classifies a token.
type exprTokenKind uint8

const (
	xtokEOF      exprTokenKind = iota
	xtokIdent                  // identifiers and the keywords true, false, null, in
	xtokString                 // "…" or '…'; val holds the decoded text
	xtokNumber                 // decimal number; num holds the value
	xtokLParen                 // (
	xtokRParen                 // )
	xtokLBrack                 // [
	xtokRBrack                 // ]
	xtokComma                  // ,
	xtokDot                    // .
	xtokNot                    // !
	xtokAnd                    // &&
	xtokOr                     // ||
	xtokEq                     // ==
	xtokNe                     // !=
	xtokStrictEq               // ===
	xtokStrictNe               // !==
)

// exprToken is one lexeme. pos is the 0-based byte offset of its first byte.
type exprToken struct {
	kind exprTokenKind
	pos  int
	text string  // source text of the token
	val  string  // decoded string literal
	num  float64 // value of a number literal
}

// describe names a token for error messages.
func (t exprToken) describe() string {
	switch t.kind {
	case xtokEOF:
		return "end of expression"
	case xtokIdent:
		if isExprKeyword(t.text) {
			return "keyword " + strconv.Quote(t.text)
		}
		return "identifier " + strconv.Quote(t.text)
	case xtokString:
		return "string " + t.text
	case xtokNumber:
		return "number " + t.text
	}
	return strconv.Quote(t.text)
}

func isExprKeyword(s string) bool {
	return s == "true" || s == "false" || s == "null" || s == "in"
}

// exprErr builds an *Error at the 0-based byte offset pos.
func exprErr(pos int, msg string) *Error {
	return &Error{Column: pos + 1, Msg: msg}
}

func isExprIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isExprIdentChar(c byte) bool {
	return isExprIdentStart(c) || isExprDigit(c)
}

func isExprDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexExpr splits src into tokens; the last token is always xtokEOF. On an
// error it also returns the tokens before the error, followed by an EOF at
// the error's position, so that the parser can report an earlier error.
func lexExpr(src string) ([]exprToken, *Error) {
	toks := make([]exprToken, 0, len(src)/3+2)
	i := 0
	for i < len(src) {
		c := src[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		start := i
		switch {
		case isExprIdentStart(c):
			for i < len(src) && isExprIdentChar(src[i]) {
				i++
			}
			toks = append(toks, exprToken{kind: xtokIdent, pos: start, text: src[start:i]})
			continue
		case isExprDigit(c) || (c == '-' && i+1 < len(src) && isExprDigit(src[i+1])):
			t, err := lexExprNumber(src, start)
			if err != nil {
				return lexFail(toks, start, err)
			}
			toks = append(toks, t)
			i = start + len(t.text)
			continue
		case c == '"' || c == '\'':
			t, err := lexExprString(src, start)
			if err != nil {
				return lexFail(toks, start, err)
			}
			toks = append(toks, t)
			i = start + len(t.text)
			continue
		}
		kind := xtokEOF
		n := 1
		switch c {
		case '(':
			kind = xtokLParen
		case ')':
			kind = xtokRParen
		case '[':
			kind = xtokLBrack
		case ']':
			kind = xtokRBrack
		case ',':
			kind = xtokComma
		case '.':
			kind = xtokDot
		case '!':
			kind = xtokNot
			if exprHasPrefixAt(src, i, "!==") {
				kind, n = xtokStrictNe, 3
			} else if exprHasPrefixAt(src, i, "!=") {
				kind, n = xtokNe, 2
			}
		case '=':
			if exprHasPrefixAt(src, i, "===") {
				kind, n = xtokStrictEq, 3
			} else if exprHasPrefixAt(src, i, "==") {
				kind, n = xtokEq, 2
			} else {
				return lexFail(toks, start, exprErr(start, `unexpected "=" (use "==" or "===" to compare)`))
			}
		case '&':
			if !exprHasPrefixAt(src, i, "&&") {
				return lexFail(toks, start, exprErr(start, `unexpected "&" (use "&&")`))
			}
			kind, n = xtokAnd, 2
		case '|':
			if !exprHasPrefixAt(src, i, "||") {
				return lexFail(toks, start, exprErr(start, `unexpected "|" (use "||")`))
			}
			kind, n = xtokOr, 2
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return lexFail(toks, start, exprErr(start, "unexpected character "+strconv.QuoteRune(r)))
		}
		toks = append(toks, exprToken{kind: kind, pos: start, text: src[start : start+n]})
		i += n
	}
	toks = append(toks, exprToken{kind: xtokEOF, pos: len(src)})
	return toks, nil
}

// lexFail ends the token stream with an EOF at pos, the start of the lexeme
// that failed, and returns err.
func lexFail(toks []exprToken, pos int, err *Error) ([]exprToken, *Error) {
	return append(toks, exprToken{kind: xtokEOF, pos: pos}), err
}

func exprHasPrefixAt(s string, i int, p string) bool {
	return len(s)-i >= len(p) && s[i:i+len(p)] == p
}

// lexExprNumber reads -?digits(.digits)? starting at start.
func lexExprNumber(src string, start int) (exprToken, *Error) {
	i := start
	if src[i] == '-' {
		i++
	}
	for i < len(src) && isExprDigit(src[i]) {
		i++
	}
	if i+1 < len(src) && src[i] == '.' && isExprDigit(src[i+1]) {
		i++
		for i < len(src) && isExprDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && isExprIdentChar(src[i]) {
		return exprToken{}, exprErr(start, "invalid number "+strconv.Quote(src[start:i+1]))
	}
	f, err := strconv.ParseFloat(src[start:i], 64)
	if err != nil {
		// Only reachable for absurdly long literals (out of range).
		return exprToken{}, exprErr(start, "invalid number "+strconv.Quote(src[start:i]))
	}
	return exprToken{kind: xtokNumber, pos: start, text: src[start:i], num: f}, nil
}

// lexExprString reads a quoted string starting at start and decodes its escapes:
// \" \' \\ \/ \b \f \n \r \t \v \uXXXX (surrogate pairs combine) and \u{X…}.
func lexExprString(src string, start int) (exprToken, *Error) {
	q := src[start]
	i := start + 1
	var buf []byte
	plain := true // no escape seen yet: the value is a substring of src
	for i < len(src) {
		c := src[i]
		if c == q {
			t := exprToken{kind: xtokString, pos: start, text: src[start : i+1]}
			if plain {
				t.val = src[start+1 : i]
			} else {
				t.val = string(buf)
			}
			return t, nil
		}
		if c != '\\' {
			if !plain {
				buf = append(buf, c)
			}
			i++
			continue
		}
		if plain {
			plain = false
			buf = append(buf, src[start+1:i]...)
		}
		if i+1 >= len(src) {
			break
		}
		e := src[i+1]
		switch e {
		case '"', '\'', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'v':
			buf = append(buf, '\v')
		case 'u':
			r, n, ok := lexExprUnicodeEscape(src, i)
			if !ok {
				end := i + 2
				for end < len(src) && end < i+6 && src[end] != q {
					end++
				}
				return exprToken{}, exprErr(i, "invalid escape "+strconv.Quote(src[i:end]))
			}
			buf = utf8.AppendRune(buf, r)
			i += n
			continue
		default:
			r, _ := utf8.DecodeRuneInString(src[i+1:])
			return exprToken{}, exprErr(i, "invalid escape "+strconv.Quote("\\"+string(r)))
		}
		i += 2
	}
	return exprToken{}, exprErr(start, "unterminated string")
}

// lexExprUnicodeEscape decodes \uXXXX (joining a following low surrogate) or
// \u{X…} at src[i]; n is the number of bytes consumed.
func lexExprUnicodeEscape(src string, i int) (r rune, n int, ok bool) {
	j := i + 2
	if j < len(src) && src[j] == '{' {
		j++
		var v rune
		digits := 0
		for j < len(src) && src[j] != '}' {
			h, hok := exprUnhex(src[j])
			if !hok || digits >= 6 {
				return 0, 0, false
			}
			v = v<<4 | h
			digits++
			j++
		}
		if j >= len(src) || digits == 0 || v > utf8.MaxRune {
			return 0, 0, false
		}
		if !utf8.ValidRune(v) {
			v = utf8.RuneError
		}
		return v, j + 1 - i, true
	}
	v, vok := exprHex4(src, j)
	if !vok {
		return 0, 0, false
	}
	n = 6
	if v >= 0xD800 && v < 0xDC00 && exprHasPrefixAt(src, i+6, `\u`) {
		if lo, lok := exprHex4(src, i+8); lok && lo >= 0xDC00 && lo < 0xE000 {
			return 0x10000 + (v-0xD800)<<10 + (lo - 0xDC00), 12, true
		}
	}
	if !utf8.ValidRune(v) {
		v = utf8.RuneError
	}
	return v, n, true
}

func exprHex4(src string, j int) (rune, bool) {
	if j+4 > len(src) {
		return 0, false
	}
	var v rune
	for k := j; k < j+4; k++ {
		h, ok := exprUnhex(src[k])
		if !ok {
			return 0, false
		}
		v = v<<4 | h
	}
	return v, true
}

func exprUnhex(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}
