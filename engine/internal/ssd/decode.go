package ssd

import (
	"math"
	"sort"
)

// candidate is one decoded anchor whose score passed the threshold: its box in normalised
// coordinates of the padded input square and its face score.
type candidate struct {
	ymin, xmin, ymax, xmax float32
	score                  float32
}

// sigmoid is the logistic function in float32, as tfjs computes it.
func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// logit is the inverse of sigmoid; anchors whose logit is at most logit(minScore) cannot
// pass the threshold, so only the others are decoded.
func logit(p float32) float32 {
	if p <= 0 {
		return float32(math.Inf(-1))
	}
	if p >= 1 {
		return float32(math.Inf(1))
	}
	return float32(math.Log(float64(p) / (1 - float64(p))))
}

// decode turns the encodings and logits of s into the candidates scoring above minScore,
// sorted by descending score (ties keep anchor order, as face-api's stable sort does).
// A prior (ymin, xmin, ymax, xmax) with centre (pcy, pcx) and size (ph, pw) and an
// encoding (ty, tx, th, tw) give the centre ty/10·ph + pcy, tx/10·pw + pcx and the size
// exp(th/5)·ph, exp(tw/5)·pw.
func decode(s *state, priors []float32, anchors int, minScore float32) []candidate {
	out := s.cands[:0]
	cut := logit(minScore)
	for i, z := range s.logits[:anchors] {
		if z < cut {
			continue
		}
		score := sigmoid(z)
		if score <= minScore {
			continue
		}
		p := priors[4*i : 4*i+4]
		e := s.enc[4*i : 4*i+4]
		ph, pw := p[2]-p[0], p[3]-p[1]
		pcy, pcx := p[0]+ph/2, p[1]+pw/2
		cy := e[0]/10*ph + pcy
		cx := e[1]/10*pw + pcx
		hh := float32(math.Exp(float64(e[2]/5))) * ph / 2
		hw := float32(math.Exp(float64(e[3]/5))) * pw / 2
		out = append(out, candidate{ymin: cy - hh, xmin: cx - hw, ymax: cy + hh, xmax: cx + hw, score: score})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	s.cands = out
	return out
}
