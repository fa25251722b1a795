#include "textflag.h"

// func clipAVX(x *float32, n int, lo, hi float32)
//
// x[i] = min(max(x[i], lo), hi) for i < n, eight floats per step with AVX.
TEXT ·clipAVX(SB), NOSPLIT, $0-24
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS lo+16(FP), Y1
	VBROADCASTSS hi+20(FP), Y2

loop8:
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (DI), Y0
	VMAXPS  Y1, Y0, Y0
	VMINPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop8

tail:
	TESTQ  CX, CX
	JE     done
	VMOVSS (DI), X0
	VMAXSS X1, X0, X0
	VMINSS X2, X0, X0
	VMOVSS X0, (DI)
	ADDQ   $4, DI
	DECQ   CX
	JMP    tail

done:
	VZEROUPPER
	RET
