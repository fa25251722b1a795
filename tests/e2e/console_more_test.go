package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// consoleTagTrainRecognize continues try-it after a detect of photo with
// the initial key: save face 1 under a uid, train it, recognize the photo
// in the uid's namespace, and compare what the page shows with the API's
// own recognize answer.
func consoleTagTrainRecognize(t *testing.T, ctx context.Context, s *server, photo string) {
	t.Helper()
	const uid, ns = "console-face@demo", "demo"
	wait := func(state string) chromedp.Action {
		return chromedp.WaitVisible(fmt.Sprintf(`#tryit-next[data-state=%q], #tryit-next[data-state="failed"]`, state))
	}
	var state, title, matchesJSON, jsonText string
	var ok bool
	check := func(want string) {
		t.Helper()
		run(t, ctx, "read the try-it state", chromedp.AttributeValue("#tryit-next", "data-state", &state, &ok),
			chromedp.Text("#tryit-json-title", &title), chromedp.Text("#tryit-json", &jsonText))
		if state != want {
			var flash string
			_ = chromedp.Run(ctx, chromedp.Text("#flash", &flash))
			t.Fatalf("try it: %s instead of %s: %s", state, want, flash)
		}
	}
	run(t, ctx, "save a tag", chromedp.WaitVisible("#tryit-next"),
		chromedp.SetValue("#tryit-uid", uid), chromedp.SetValue("#tryit-namespace", ns),
		chromedp.Click("#tryit-save"), wait("saved"))
	check("saved")
	if title != "SkyBiometry JSON: tags/save" || !strings.Contains(jsonText, `"saved_tags"`) {
		t.Errorf("after tags/save the page shows %q: %.200s", title, jsonText)
	}
	run(t, ctx, "train", chromedp.Click("#tryit-train"), wait("trained"))
	check("trained")
	if !strings.Contains(jsonText, uid) {
		t.Errorf("the train answer does not name %s: %.300s", uid, jsonText)
	}
	run(t, ctx, "recognize", chromedp.Click("#tryit-recognize"), wait("recognized"),
		chromedp.AttributeValue("#tryit-next", "data-matches", &matchesJSON, &ok))
	check("recognized")
	var matches []struct {
		Face       int
		UID        string
		Confidence int
		Matched    bool
	}
	if err := json.Unmarshal([]byte(matchesJSON), &matches); err != nil {
		t.Fatalf("matches %q: %v", matchesJSON, err)
	}
	want := s.call("faces/recognize", map[string]string{"api_key": s.creds.APIKey, "api_secret": s.creds.APISecret,
		"uids": "all", "namespace": ns, "attributes": "none"}, photo)
	if want.Status != "success" || len(want.Photos) != 1 {
		t.Fatalf("direct recognize: %d %s", want.ErrorCode, want.ErrorMessage)
	}
	tags := want.Photos[0].Tags
	if len(matches) != len(tags) {
		t.Fatalf("the page shows %d faces recognized, the API %d", len(matches), len(tags))
	}
	for i, tag := range tags {
		wantUID, wantConf := "", 0
		if len(tag.UIDs) > 0 {
			wantUID, wantConf = tag.UIDs[0].UID, tag.UIDs[0].Confidence
		}
		if matches[i].UID != wantUID || matches[i].Confidence != wantConf {
			t.Errorf("face %d: the page shows %q (%d), the API %q (%d)", i, matches[i].UID, matches[i].Confidence, wantUID, wantConf)
		}
	}
	if matches[0].UID != uid || !matches[0].Matched {
		t.Errorf("the saved and trained face 1 is recognized as %q, want %s", matches[0].UID, uid)
	}
	t.Logf("try it: tag saved, trained, recognized %+v", matches)
}

// consoleUsage opens the usage page for keyID, which made one admitted
// detect with one image, one call refused for a wrong secret and one
// refused after its revocation, and checks that the charts and totals show
// exactly that.
func consoleUsage(t *testing.T, ctx context.Context, keyID string) {
	t.Helper()
	var ready bool
	run(t, ctx, "open usage", chromedp.Click(`a[data-view="usage"]`), chromedp.WaitVisible("#chart-requests"),
		chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.getElementById('usage-key');
			s.value = %q; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, keyID), &ready),
		chromedp.WaitVisible(fmt.Sprintf(`#view-app[data-key=%q] #chart-requests`, keyID)))
	var requests, images, denied, admitted, latencyDots float64
	var totalRequests, totalDenials string
	sum := func(sel string) string {
		return fmt.Sprintf(`[...document.querySelectorAll(%q)].reduce((a, e) => a + Number(e.dataset.v), 0)`, sel)
	}
	run(t, ctx, "read the usage charts",
		chromedp.Evaluate(`Number(document.getElementById('chart-requests').dataset.total)`, &requests),
		chromedp.Evaluate(`Number(document.getElementById('chart-images').dataset.total)`, &images),
		chromedp.Evaluate(sum(`#chart-requests rect[data-series="denied"]`), &denied),
		chromedp.Evaluate(sum(`#chart-requests rect[data-series="admitted"]`), &admitted),
		chromedp.Evaluate(`document.querySelectorAll('#chart-latency circle[data-series="maximum"]').length`, &latencyDots),
		chromedp.Text("#usage-total-requests", &totalRequests),
		chromedp.Text("#usage-total-denials", &totalDenials))
	if requests != 3 || admitted != 1 || denied != 2 || images != 1 {
		t.Errorf("usage of %s: chart shows %v requests (%v admitted, %v denied), %v images; want 3 (1, 2), 1",
			keyID, requests, admitted, denied, images)
	}
	if n, _ := strconv.Atoi(totalRequests); n != 3 || !strings.HasPrefix(totalDenials, "2 (") {
		t.Errorf("usage totals: %q requests, %q denials", totalRequests, totalDenials)
	}
	if latencyDots < 1 {
		t.Error("the latency chart has no point")
	}
	t.Logf("usage of the console's key: %v requests, %v images, denials %s", requests, images, totalDenials)
}

// consoleStatus opens the status page and checks the index size it shows
// against the namespaces' template counts.
func consoleStatus(t *testing.T, ctx context.Context) {
	t.Helper()
	var shown string
	var counted float64
	run(t, ctx, "open status", chromedp.Click(`a[data-view="status"]`), chromedp.WaitVisible("#index-templates"),
		chromedp.Text("#index-templates", &shown),
		chromedp.Evaluate(`fetch('api/admin/namespaces').then(r => r.json()).then(j => j.namespaces.reduce((a, n) => a + (n.templates || 0), 0))`,
			&counted, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if n, err := strconv.Atoi(shown); err != nil || n < 1 || float64(n) != counted {
		t.Errorf("status shows %q templates, the namespaces hold %v", shown, counted)
	}
}
