package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// detPlot draws DET curves (FNIR against FPIR, both on log axes) with the standard library
// and x/image's fixed 7×13 font, so that the benchmark needs no plotting dependency.
type detPlot struct {
	img                    *image.RGBA
	left, top, w, h        int
	xmin, xmax, ymin, ymax float64 // decades: 10^xmin … 10^xmax
}

var detColours = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0xff, 0x7f, 0x0e, 0xff},
}

func newDETPlot() *detPlot {
	p := &detPlot{img: image.NewRGBA(image.Rect(0, 0, 760, 560)), left: 80, top: 40, w: 640, h: 440,
		xmin: -4, xmax: 0, ymin: -3, ymax: 0}
	for i := range p.img.Pix {
		p.img.Pix[i] = 0xff
	}
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	black := color.RGBA{0, 0, 0, 0xff}
	for e := p.xmin; e <= p.xmax; e++ {
		x, _ := p.at(math.Pow(10, e), 1)
		p.line(x, p.top, x, p.top+p.h, grey)
		p.text(x-14, p.top+p.h+18, fmt.Sprintf("1e%d", int(e)), black)
	}
	for e := p.ymin; e <= p.ymax; e++ {
		_, y := p.at(1, math.Pow(10, e))
		p.line(p.left, y, p.left+p.w, y, grey)
		p.text(p.left-40, y+4, fmt.Sprintf("1e%d", int(e)), black)
	}
	p.line(p.left, p.top, p.left, p.top+p.h, black)
	p.line(p.left, p.top+p.h, p.left+p.w, p.top+p.h, black)
	p.line(p.left+p.w, p.top, p.left+p.w, p.top+p.h, black)
	p.line(p.left, p.top, p.left+p.w, p.top, black)
	p.text(p.left+p.w/2-150, p.top+p.h+40, "FPIR (strangers accepted as someone enrolled)", black)
	p.text(p.left, p.top-14, "DET, open-set 1:N through faces/recognize: FNIR (right person missed) vs FPIR", black)
	return p
}

// at maps (fpir, fnir) to pixels, clamping to the axes.
func (p *detPlot) at(fpir, fnir float64) (int, int) {
	lx := math.Log10(math.Max(fpir, math.Pow(10, p.xmin)))
	ly := math.Log10(math.Max(fnir, math.Pow(10, p.ymin)))
	x := p.left + int(math.Round((lx-p.xmin)/(p.xmax-p.xmin)*float64(p.w)))
	y := p.top + p.h - int(math.Round((ly-p.ymin)/(p.ymax-p.ymin)*float64(p.h)))
	return x, y
}

func (p *detPlot) line(x0, y0, x1, y1 int, c color.RGBA) { p.dashed(x0, y0, x1, y1, c, 0, 1) }

// dashed draws a line two pixels wide; with dash > 0 it draws dash pixels of every period.
func (p *detPlot) dashed(x0, y0, x1, y1 int, c color.RGBA, dash, width int) {
	n := max(abs(float64(x1-x0)), abs(float64(y1-y0)), 1)
	for i := 0; i <= int(n); i++ {
		if dash > 0 && i%(2*dash) >= dash {
			continue
		}
		x := x0 + int(math.Round(float64(x1-x0)*float64(i)/n))
		y := y0 + int(math.Round(float64(y1-y0)*float64(i)/n))
		for dx := 0; dx < width; dx++ {
			for dy := 0; dy < width; dy++ {
				p.img.SetRGBA(x+dx, y+dy, c)
			}
		}
	}
}

func (p *detPlot) text(x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// curve draws one result's DET curve and its legend entry: solid for the product's
// scoring, dashed for another one, dotted for a modelled gallery.
func (p *detPlot) curve(i int, r *openSetResult) {
	c := detColours[i%len(detColours)]
	dash := 0
	label := fmt.Sprintf("%s: %d uids", r.name, r.size())
	if r.decision != "" && r.decision != "calibrated" {
		dash = 5
	}
	if r.modelN > 0 {
		dash = 2
		label = fmt.Sprintf("%d uids, no cohort (modelled from the impostor distances)", r.modelN)
		if r.decision == "legacy" {
			label = fmt.Sprintf("%d uids, legacy (modelled from the impostor distances)", r.modelN)
		}
	}
	ts := r.thresholds()
	step := max(len(ts)/800, 1)
	px, py := -1, -1
	for k := 0; k < len(ts); k += step {
		fpir, fnir := r.rates(ts[k])
		if fpir <= 0 {
			continue
		}
		x, y := p.at(fpir, fnir)
		if px >= 0 {
			p.dashed(px, py, x, y, c, dash, 2)
		}
		px, py = x, y
	}
	ly := p.top + p.h - 80 + 16*i
	p.dashed(p.left+20, ly-4, p.left+50, ly-4, c, dash/2, 2)
	p.text(p.left+56, ly, label, color.RGBA{0, 0, 0, 0xff})
}

// writeDETPlot draws the curves of rs into a PNG file.
func writeDETPlot(path string, rs []*openSetResult) error {
	p := newDETPlot()
	for i, r := range rs {
		p.curve(i, r)
	}
	// the y axis label, written letter by letter down the left margin
	for i, ch := range "FNIR" {
		p.text(8, p.top+p.h/2-20+14*i, string(ch), color.RGBA{0, 0, 0, 0xff})
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create det plot: %w", err)
	}
	if err := png.Encode(f, p.img); err != nil {
		f.Close()
		return fmt.Errorf("encode det plot: %w", err)
	}
	return f.Close()
}
