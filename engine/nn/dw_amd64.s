#include "textflag.h"

// func dw3x3AVX(dst, r0, r1, r2, w *float32, c int)
//
// dst[j] += Σ_{ky,kx<3} rky[kx·c + j] · w[(3·ky + kx)·c + j] for j < c (c a multiple of
// 8): one output pixel of a 3×3 depthwise conv whose window lies inside the input. r0,
// r1, r2 point at the window's three input rows (3·c contiguous floats each), w at the
// filter in [ky][kx][c] order. AVX2 + FMA, eight channels per step.
TEXT ·dw3x3AVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), AX
	MOVQ r1+16(FP), BX
	MOVQ r2+24(FP), CX
	MOVQ w+32(FP), DX
	MOVQ c+40(FP), R11
	MOVQ R11, R8
	SHLQ $2, R8               // R8 = c·4 bytes: next tap
	LEAQ (R8)(R8*1), R9       // R9 = 2·c·4
	LEAQ (R9)(R8*1), R12      // R12 = 3·c·4: next filter row
	LEAQ (DX)(R12*1), SI      // filter row 1
	LEAQ (SI)(R12*1), R10     // filter row 2

loop:
	CMPQ    R11, $8
	JL      done
	VMOVUPS (DI), Y0
	VMOVUPS (AX), Y1
	VFMADD231PS (DX), Y1, Y0
	VMOVUPS (AX)(R8*1), Y1
	VFMADD231PS (DX)(R8*1), Y1, Y0
	VMOVUPS (AX)(R9*1), Y1
	VFMADD231PS (DX)(R9*1), Y1, Y0
	VMOVUPS (BX), Y1
	VFMADD231PS (SI), Y1, Y0
	VMOVUPS (BX)(R8*1), Y1
	VFMADD231PS (SI)(R8*1), Y1, Y0
	VMOVUPS (BX)(R9*1), Y1
	VFMADD231PS (SI)(R9*1), Y1, Y0
	VMOVUPS (CX), Y1
	VFMADD231PS (R10), Y1, Y0
	VMOVUPS (CX)(R8*1), Y1
	VFMADD231PS (R10)(R8*1), Y1, Y0
	VMOVUPS (CX)(R9*1), Y1
	VFMADD231PS (R10)(R9*1), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, AX
	ADDQ    $32, BX
	ADDQ    $32, CX
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, R10
	SUBQ    $8, R11
	JMP     loop

done:
	VZEROUPPER
	RET
