package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// parityXML parses a SkyBiometry XML answer as its PHP client does
// (convert_simplexml_to_array): list="true" elements are arrays of their
// children, elements with children are maps by child name, others text.
func parityXML(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var elem func(start xml.StartElement) any
	elem = func(start xml.StartElement) any {
		list := false
		for _, a := range start.Attr {
			list = list || (a.Name.Local == "list" && a.Value == "true")
		}
		items, obj := []any{}, map[string]any{}
		var text strings.Builder
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("answer is not XML: %v\n%.500s", err, doc)
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				name := tk.Name.Local
				for _, a := range tk.Attr {
					if a.Name.Local == "key" {
						name = a.Value
					}
				}
				if v := elem(tk.Copy()); list {
					items = append(items, v)
				} else {
					obj[name] = v
				}
			case xml.CharData:
				text.Write(tk)
			case xml.EndElement:
				switch {
				case list:
					return items
				case len(obj) > 0:
					return obj
				}
				return text.String()
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("answer is not XML: %v\n%.500s", err, doc)
		}
		if st, ok := tok.(xml.StartElement); ok {
			if st.Name.Local != "response" {
				t.Fatalf("root element %q", st.Name.Local)
			}
			m, ok := elem(st).(map[string]any)
			if !ok {
				t.Fatalf("empty response:\n%s", doc)
			}
			return m
		}
	}
}

// parityJSON decodes a JSON answer into what XML carries: numbers as their
// text, booleans as 1/0, null and {} as "".
func parityJSON(t *testing.T, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%.500s", err, body)
	}
	var norm func(v any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				return ""
			}
			for k, e := range x {
				x[k] = norm(e)
			}
			return x
		case []any:
			for i, e := range x {
				x[i] = norm(e)
			}
			return x
		case bool:
			if x {
				return "1"
			}
			return "0"
		case json.Number:
			return string(x)
		case nil:
			return ""
		}
		return v
	}
	return norm(v).(map[string]any)
}

// withoutIDs drops what differs between two calls on the same image:
// photo and tag ids, the operation id and the usage block.
func withoutIDs(m map[string]any) map[string]any {
	delete(m, "operation_id")
	delete(m, "usage")
	if photos, ok := m["photos"].([]any); ok {
		for _, p := range photos {
			pm := p.(map[string]any)
			delete(pm, "pid")
			if tags, ok := pm["tags"].([]any); ok {
				for _, tg := range tags {
					delete(tg.(map[string]any), "tid")
				}
			}
		}
	}
	return m
}

// curlXML runs curl against the server and returns the status, the
// Content-Type and the body.
func curlXML(t *testing.T, s *server, path string, form ...string) (int, string, []byte) {
	t.Helper()
	args := []string{"-sS", "--cacert", s.rootCA(), "-o", "-", "-w", "\n%{http_code} %{content_type}"}
	for _, f := range form {
		args = append(args, "-F", f)
	}
	out, err := exec.Command("curl", append(args, s.url(path))...).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", path, err)
	}
	i := bytes.LastIndexByte(out, '\n')
	status, ctype, _ := strings.Cut(string(out[i+1:]), " ")
	code, _ := strconv.Atoi(status)
	return code, ctype, out[:i]
}

// TestSkyBiometryParity: XML answers for methods and errors, unknown
// attribute names refused, and calls refused before any work never
// charged to the quota.
func TestSkyBiometryParity(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := secClient(t, s)
	photo := filepath.Join(facesDir(t), "detection", "images", "2008_002079.jpg")
	jpeg, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	cred := func(extra ...string) map[string]string {
		m := map[string]string{"api_key": s.creds.APIKey, "api_secret": s.creds.APISecret}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	curlCred := []string{"api_key=" + s.creds.APIKey, "api_secret=" + s.creds.APISecret}

	t.Run("detect in XML (curl, .xml) parses into the JSON answer", func(t *testing.T) {
		js := secDo(t, c, secMultipart(s, "faces/detect.json", cred("attributes", "all", "detect_all_feature_points", "true"), jpeg))
		if !js.ok() {
			t.Fatalf("json detect: %s", js)
		}
		code, ctype, body := curlXML(t, s, "/fc/faces/detect.xml",
			append(curlCred, "attributes=all", "detect_all_feature_points=true", "files=@"+photo)...)
		if code != 200 || !strings.HasPrefix(ctype, "application/xml") {
			t.Fatalf("xml detect: HTTP %d %s\n%.300s", code, ctype, body)
		}
		x, j := parityXML(t, body), parityJSON(t, js.Body)
		tags := x["photos"].([]any)[0].(map[string]any)["tags"].([]any)
		if len(tags) == 0 {
			t.Fatalf("no face in the XML answer:\n%.500s", body)
		}
		tag := tags[0].(map[string]any)
		if pts, _ := tag["points"].([]any); len(pts) != 68 {
			t.Errorf("points: %d, want 68", len(pts))
		}
		if attrs, _ := tag["attributes"].(map[string]any); attrs["face"] == nil || attrs["gender"] == nil {
			t.Errorf("attributes: %v", tag["attributes"])
		}
		if x["usage"] == nil || x["operation_id"] == "" {
			t.Errorf("usage or operation_id missing: %v", x)
		}
		if !reflect.DeepEqual(withoutIDs(x), withoutIDs(j)) {
			t.Errorf("XML and JSON answers differ\nxml:  %v\njson: %v", x, j)
		}
	})

	t.Run("recognize with format=xml parses into the JSON answer", func(t *testing.T) {
		params := cred("uids", "all", "namespace", "demo")
		js := secDo(t, c, secMultipart(s, "faces/recognize", params, jpeg))
		params["format"] = "xml"
		xr := secDo(t, c, secMultipart(s, "faces/recognize", params, jpeg))
		if !js.ok() || xr.Status != 200 || !strings.HasPrefix(xr.Header.Get("Content-Type"), "application/xml") {
			t.Fatalf("json %s\nxml %s", js, xr)
		}
		x, j := parityXML(t, xr.Body), parityJSON(t, js.Body)
		if !reflect.DeepEqual(withoutIDs(x), withoutIDs(j)) {
			t.Errorf("XML and JSON answers differ\nxml:  %v\njson: %v", x, j)
		}
	})

	t.Run("account methods in XML", func(t *testing.T) {
		for _, route := range []string{"account/authenticate.xml", "account/limits.xml", "account/namespaces.xml", "account/users.xml"} {
			r := secCall(t, c, s, route, s.creds.APIKey, s.creds.APISecret, url.Values{"namespaces": {"demo"}})
			if r.Status != 200 {
				t.Errorf("%s: %s", route, r)
				continue
			}
			if x := parityXML(t, r.Body); x["status"] != "success" {
				t.Errorf("%s: %v", route, x)
			}
		}
	})

	t.Run("errors in XML", func(t *testing.T) {
		for _, c2 := range []struct {
			name   string
			form   []string
			status int
			code   string
		}{
			{"unknown attribute", append(curlCred, "attributes=gender,beard", "files=@"+photo), 400, "406"},
			{"unknown key", []string{"api_key=fg_live_nope", "api_secret=x"}, 401, "201"},
			{"no image", curlCred, 400, "402"},
			{"callback", append(curlCred, "callback=cb", "files=@"+photo), 400, "406"},
		} {
			code, ctype, body := curlXML(t, s, "/fc/faces/detect.xml", c2.form...)
			if code != c2.status || !strings.HasPrefix(ctype, "application/xml") {
				t.Errorf("%s: HTTP %d %s, want %d XML\n%.300s", c2.name, code, ctype, c2.status, body)
				continue
			}
			x := parityXML(t, body)
			if x["status"] != "failure" || x["error_code"] != c2.code || x["error_message"] == "" {
				t.Errorf("%s: %v, want error %s", c2.name, x, c2.code)
			}
		}
		// An unknown format is refused (in JSON: it is not XML either).
		r := secDo(t, c, secMultipart(s, "faces/detect.yaml", cred(), jpeg))
		if r.Status != 400 || r.code() != 406 {
			t.Errorf(".yaml: %s", r)
		}
	})

	t.Run("refused calls charge no quota", func(t *testing.T) {
		adm := newSecAdmin(t, s)
		adm.createNamespace("parityns", "parity")
		const quota = 3
		key, secret := adm.createKey(map[string]any{"owner": "parity", "namespaces": []string{"parityns"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret"},
			"limits": map[string]any{"quota": map[string]any{"kind": "quota", "count": quota, "per_s": 3600}}})
		kc := map[string]string{"api_key": key, "api_secret": secret}
		with := func(extra ...string) map[string]string {
			m := map[string]string{}
			for k, v := range kc {
				m[k] = v
			}
			for i := 0; i+1 < len(extra); i += 2 {
				m[extra[i]] = extra[i+1]
			}
			return m
		}
		eleven := make([][]byte, 11)
		for i := range eleven {
			eleven[i] = jpeg
		}
		refused := []struct {
			name string
			req  *http.Request
			code int
		}{
			{"unknown format", secMultipart(s, "faces/detect.yaml", with(), jpeg), 406},
			{"unknown attribute", secMultipart(s, "faces/detect", with("attributes", "beard"), jpeg), 406},
			{"bad detector", secMultipart(s, "faces/detect", with("detector", "fast"), jpeg), 406},
			{"JSONP off", secMultipart(s, "faces/detect", with("callback", "cb"), jpeg), 406},
			{"callback with XML", secMultipart(s, "faces/detect.xml", with("callback", "cb"), jpeg), 406},
			{"recognize without uids", secMultipart(s, "faces/recognize", with(), jpeg), 402},
			{"uids=all without namespace", secMultipart(s, "faces/recognize", with("uids", "all"), jpeg), 403},
			{"another owner's namespace", secMultipart(s, "faces/recognize", with("uids", "x@demo"), jpeg), 404},
			{"too many images", secMultipart(s, "faces/detect", with(), eleven...), 407},
		}
		for _, rc := range refused {
			r := secDo(t, c, rc.req)
			got := r.code()
			if rc.name == "callback with XML" {
				if r.Status != 400 || !bytes.Contains(r.Body, []byte("<error_code>406</error_code>")) {
					t.Errorf("%s: %s", rc.name, r)
				}
				continue
			}
			if r.ok() || got != rc.code {
				t.Errorf("%s: %s, want error %d", rc.name, r, rc.code)
			}
		}
		lim := secCall(t, c, s, "account/limits", key, secret, nil)
		if u := secUsage(lim); u.Used != 0 || u.Remaining != quota {
			t.Errorf("after %d refused calls: usage %+v, want nothing used", len(refused), u)
		}
		for i := range quota {
			if r := secDo(t, c, secMultipart(s, "faces/detect", with(), jpeg)); !r.ok() || secUsage(r).Remaining != quota-1-i {
				t.Fatalf("call %d of the quota: %s", i+1, r)
			}
		}
		if r := secDo(t, c, secMultipart(s, "faces/detect", with(), jpeg)); r.ok() || r.code() != 202 {
			t.Errorf("call past the quota: %s, want 202", r)
		}
	})
}
