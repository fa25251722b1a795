package httpsig

import (
	"errors"
	"net/http"
	"testing"
)

func TestParseRequest(t *testing.T) {
	const in = `("@method" "@authority" "@path" "@query" "content-type" "content-digest");created=1700000000;expires=1700000300;nonce="AAECAwQFBgcICQoLDA0ODw";keyid="k";alg="hmac-sha256";tag="facegate/v1"`
	const sig = `:AAECAwQFBgcICQoLDA0ODw==:`
	tests := []struct {
		name       string
		input, sig []string // header lines; nil means absent
		wantErr    error
		wantLabel  string
	}{
		{name: "both absent", wantErr: ErrNoSignature},
		{name: "valid", input: []string{"sig1=" + in}, sig: []string{"sig1=" + sig}, wantLabel: "sig1"},
		{name: "sig1 chosen among several", input: []string{"other=(\"@method\");created=1", "sig1=" + in}, sig: []string{"other=:AA==:, sig1=" + sig}, wantLabel: "sig1"},
		{name: "single other label kept for Verify to reject", input: []string{"sig2=" + in}, sig: []string{"sig2=" + sig}, wantLabel: "sig2"},
		{name: "several without sig1", input: []string{"a=" + in + ", b=" + in}, sig: []string{"a=" + sig + ", b=" + sig}, wantErr: ErrMalformed},
		{name: "signature missing", input: []string{"sig1=" + in}, wantErr: ErrMalformed},
		{name: "input missing", sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "label mismatch between fields", input: []string{"sig1=" + in}, sig: []string{"sig9=" + sig}, wantErr: ErrMalformed},
		{name: "duplicate label", input: []string{"sig1=" + in, "sig1=" + in}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "duplicate parameter", input: []string{"sig1=" + in + ";created=1700000001"}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "duplicate component", input: []string{`sig1=("@method" "@method");created=1`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "uppercase field name", input: []string{`sig1=("Content-Type");created=1`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "signature-params covered", input: []string{`sig1=("@signature-params");created=1`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "component is a token", input: []string{`sig1=(@method);created=1`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "input is an item", input: []string{`sig1="@method"`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "created is a string", input: []string{`sig1=("@method");created="1"`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "created negative", input: []string{`sig1=("@method");created=-1`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "created is a decimal", input: []string{`sig1=("@method");created=1.5`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "keyid is a token", input: []string{`sig1=("@method");keyid=k`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "signature not base64", input: []string{"sig1=" + in}, sig: []string{"sig1=:not base64!:"}, wantErr: ErrMalformed},
		{name: "signature is a string", input: []string{"sig1=" + in}, sig: []string{`sig1="AAAA"`}, wantErr: ErrMalformed},
		{name: "signature with params", input: []string{"sig1=" + in}, sig: []string{"sig1=" + sig + ";x=1"}, wantErr: ErrMalformed},
		{name: "unterminated list", input: []string{`sig1=("@method" "@path"`}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "trailing comma", input: []string{"sig1=" + in + ","}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
		{name: "control character", input: []string{"sig1=(\"@method\x01\")"}, sig: []string{"sig1=" + sig}, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.input {
				h.Add("Signature-Input", v)
			}
			for _, v := range tt.sig {
				h.Add("Signature", v)
			}
			p, err := ParseRequest(h)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Label != tt.wantLabel || len(p.Sig) != 16 {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
}

// TestSignatureParamsRoundTrip checks that the serialized parameters match
// the received ones for canonical input and normalise extra spaces.
func TestSignatureParamsRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{`("@method" "signature";req;key="sig1");created=1;nonce="a\"b\\c";x=?0;y=tok/en;z=:AQI=:`, ""},
		{`(  "@method"   "@path"  );created=1`, `("@method" "@path");created=1`},
		{`();keyid="k"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h := http.Header{"Signature-Input": {"s=" + tt.in}, "Signature": {"s=:AA==:"}}
			p, err := ParseLabel(h, "s")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got := p.SignatureParams(); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}

// RFC 8941 §4.2.4: an integer has at most 15 digits, wherever it stands.
func TestIntegerDigitLimit(t *testing.T) {
	for _, ok := range []string{"a=999999999999999", "a=-999999999999999", "a=(000000000000000 1)", "a=1;p=999999999999999"} {
		if _, err := parseDictionary(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"a=1000000000000000", "a=(0000000000000000)", "a=1;p=-1000000000000000"} {
		if _, err := parseDictionary(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
